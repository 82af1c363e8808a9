import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSchema } from '../src/graphql/schema.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { operationFor, valueFor, type FieldCall, type KnownIds } from './helpers/hostile.js';
import { startTestServer, TESTER_EMAIL, type GqlResult, type TestServer } from './helpers/server.js';

/**
 * Issue 10.9: every argument of every root query and mutation (input fields and the arguments of
 * the fields selected beneath too) gets hostile values: NUL and lone surrogates, over-long
 * strings, crafted cursors (ids past int4, 9999-99-99 dates, wrong kinds), out-of-range ids,
 * numbers and dates, unknown enum values. Whoever asks (anonymous, STAFF, OWNER, platform admin),
 * no answer may be an internal error or a 5xx, a BAD_USER_INPUT from a resolver must name one of
 * the arguments, and a call that answered with errors must have written nothing (every table's
 * checksum is compared before and after).
 *
 * Deterministic: a fixed seed per field (HOSTILE_RUNS changes the number of runs, HOSTILE_DEBUG=1
 * prints each call). No root query or mutation is skipped: sendMessage's texts stay in the outbox
 * (no worker runs here), pauseQueue/resumeQueue act on this server's own queue. Not covered:
 * Subscription.messageProgress, inboxMessageReceived and conversationUpdated (WebSocket operations; their one argument goes through the same
 * parseId as every id here).
 */

const SEED = 20_261_201;
const RUNS = Number(process.env.HOSTILE_RUNS ?? 60);

const schema = await getSchema();
const roots = (['query', 'mutation'] as const).flatMap((kind) => {
  const type = kind === 'query' ? schema.getQueryType()! : schema.getMutationType()!;
  return Object.values(type.getFields()).map((field) => ({ kind, field, op: operationFor(kind, field) }));
});

// mutations whose success can end or change the callers' sessions: the callers are restored after one
const SESSION_CHANGING = new Set(['login', 'logout', 'setChurchUserRole', 'removeChurchUser', 'deactivateUser', 'reactivateUser', 'changePassword', 'addChurchUser']);

let s: TestServer;
let church: SeededChurch;
let other: SeededChurch;
let staffId: number;
let ownerId: number;
const callers: Record<string, Record<string, string>> = {};
let tables: string[] = [];
let messageId: string;
let tokenId: string;

let passwordHash: string | undefined;
let baseline: Record<string, string> | undefined;

/** The callers as they were: active, their roles and passwords back, signed in again. */
async function signIn() {
  passwordHash ??= (await s.database.sql<Array<{ h: string }>>`SELECT password_hash AS h FROM users WHERE email = ${TESTER_EMAIL}`)[0]!.h;
  await s.database.sql`UPDATE users SET deactivated_at = NULL, password_hash = ${passwordHash}`;
  const staff = await s.userWith('staff@hostile.test', [[church.churchId, 'staff']]);
  const owner = await s.userWith('owner@hostile.test', [[church.churchId, 'owner']]);
  [staffId, ownerId] = [staff.id, owner.id];
  callers.anonymous = {};
  callers.staff = staff.headers;
  callers.owner = owner.headers;
  await s.grantAll();
  callers.admin = s.adminHeaders;
}

/** Every table's content hash: a write of any kind changes one. */
async function checksums(): Promise<Record<string, string>> {
  const parts = tables.map((t) => `SELECT '${t}' AS t, coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS h FROM "${t}" x`);
  const rows = await s.database.sql.unsafe<Array<{ t: string; h: string }>>(parts.join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, r.h]));
}

beforeAll(async () => {
  s = await startTestServer('hostile', { LOGIN_MAX_FAILURES: '1000', LOG_LEVEL: process.env.HOSTILE_LOG ?? 'silent' });
  church = await seedChurch(s, { members: 6 });
  other = await seedChurch(s, { members: 2 });
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550142' WHERE id = ${church.churchId}`;
  await signIn();
  // a message and a token, so their ids exist too
  const sent = await s.gql('mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "hi", audience: { memberIds: $m }, urgent: true) { id } }', { c: String(church.churchId), m: [String(church.memberIds[0])] }, callers.staff);
  expect(sent.errors).toBeUndefined();
  const token = await s.gql('mutation { createApiToken(input: { name: "fuzz" }) { apiToken { id } } }', {}, callers.owner);
  expect(token.errors).toBeUndefined();
  messageId = sent.data.sendMessage.id;
  tokenId = token.data.createApiToken.apiToken.id;
  tables = (await s.database.sql<Array<{ tablename: string }>>`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`).map((r) => r.tablename);
  expect(tables).toContain('members');
}, 120_000);

afterAll(async () => {
  await s?.close();
});

function knownIds(): KnownIds {
  const ids = (...xs: Array<number | string>) => [...new Set(xs.map(String))];
  const known: KnownIds = {
    // weighted: most calls should get past the church check to the values behind it
    church: [church.churchId, church.churchId, church.churchId, church.churchId, other.churchId].map(String),
    member: ids(...church.memberIds, other.memberIds[0]!),
    group: ids(...church.groupIds, other.groupIds[0]!),
    household: ids(...church.householdIds, other.householdIds[0]!),
    user: ids(staffId, ownerId),
    message: ids(messageId),
    token: ids(tokenId),
  };
  known.any = ids(...Object.values(known).flat(), 1, 2);
  return known;
}

function argumentNames(op: FieldCall): Set<string> {
  return new Set(op.variables.map((v) => v.name.replace(/^n\d+_/, '')));
}

describe('hostile arguments (issue 10.9)', () => {
  for (const { kind, field, op } of roots) {
    it(`${kind} ${field.name}`, async () => {
      const known = knownIds();
      const varsOf = (coercible: boolean, hostility: number) =>
        fc.tuple(...op.variables.map((v) => valueFor(v.type, { known, coercible, hostility, hint: v.hint }).map((x) => [v.name, x] as const)));
      // mostly values GraphQL coerces (they reach the resolvers and SQL), a few hostile ones among
      // plausible ones; sometimes every value hostile and of any type at all
      const vars = fc.oneof(
        { weight: 3, arbitrary: varsOf(true, 0.2) },
        { weight: 2, arbitrary: varsOf(true, 0.5) },
        { weight: 1, arbitrary: varsOf(false, 1) },
      );
      const allowed = argumentNames(op);
      let reached = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('anonymous', 'staff', 'staff', 'owner', 'owner', 'admin'), vars, async (who, pairs) => {
          const variables = Object.fromEntries(pairs.filter(([, x]) => x !== undefined));
          // nothing else writes meanwhile (no worker runs): the last call's checksums are this one's "before"
          const before = (baseline ??= await checksums());
          const r: GqlResult<Record<string, unknown>> = await s.gql(op.query, variables, callers[who]);
          const errors = r.errors ?? [];
          if (process.env.HOSTILE_DEBUG) console.log(who, JSON.stringify(variables).slice(0, 400), JSON.stringify(errors.map((e) => [e.extensions?.code, e.message.slice(0, 80)])));
          expect(r.status, JSON.stringify(errors)).toBeLessThan(500);
          expect(errors.filter((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || !e.extensions?.code)).toEqual([]);
          for (const e of errors) {
            if (e.path && e.extensions?.code === 'BAD_USER_INPUT') {
              const root = String(e.extensions.field ?? '').split(/[.[]/)[0]!;
              expect(allowed, `${e.message} names no argument`).toContain(root);
            }
          }
          if (r.data?.[field.name] !== undefined || errors.some((e) => e.path)) reached++;
          // a root field that failed must have written nothing (a nested field's error follows a completed write)
          const failed = errors.some((e) => !e.path || e.path.length === 1);
          if (kind === 'mutation' && !failed && SESSION_CHANGING.has(field.name)) await signIn();
          baseline = kind === 'query' && !failed ? before : await checksums();
          if (errors.length && failed) expect(baseline, `${JSON.stringify(errors[0])} after writing`).toEqual(before);
        }),
        // a field without arguments has nothing to vary but the caller
        { seed: SEED, numRuns: op.variables.length ? RUNS : 8, endOnFailure: true },
      );
      // the resolver ran at least once: the values were not all turned away while variables were coerced
      expect(reached).toBeGreaterThan(0);
    });
  }
});

it('covers every root query and mutation field', () => {
  const count = (t: typeof schema.getQueryType) => Object.keys(t.call(schema)!.getFields()).length;
  expect(roots.length).toBe(count(schema.getQueryType) + count(schema.getMutationType));
});
