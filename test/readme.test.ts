import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, type DefinitionNode, type OperationDefinitionNode } from 'graphql';
import { createClient } from 'graphql-ws';
import postgres from 'postgres';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/db/seed.js';
import { seedDemoUsers } from '../src/modules/auth/bootstrap.js';
import { sessionCookieOf, startTestServer, type TestServer } from './helpers/server.js';

/**
 * Every ```graphql block of README.md, run in order against a started server holding the demo data
 * (what the first `npm start` creates), so the tour cannot drift from the API.
 *
 * Convention: an HTML comment right before a block may say what it needs, as JSON:
 *   <!-- readme-test: {"as": "ops@steeple.example", "vars": {"id": "$.sendMessage.id"}} -->
 * - "as": the demo account the block runs as (default owner@grace.example; "anonymous": none).
 *   A `login` in the block switches the rest of the block to the session it answers with.
 * - "vars": values for the variables the operations declare: a literal, "$.a.b.0.c" (a path into an
 *   earlier answer, by operation name or root field), or "@in:<seconds>" (a time that far ahead).
 * - "nonEmpty": paths that must hold a non-empty list; "equals": path → expected value.
 * - "errors": operation name or root field → the extensions.code the README says it answers.
 * Each operation of a block runs on its own; subscriptions over graphql-ws, up to their first event.
 */
const README = readFileSync(path.resolve(import.meta.dirname, '..', 'README.md'), 'utf8');
const DEFAULT_ACCOUNT = 'owner@grace.example';
const DEMO_PASSWORD = 'steeple-demo-2026';

interface Meta {
  as?: string;
  vars?: Record<string, unknown>;
  nonEmpty?: string[];
  equals?: Record<string, unknown>;
  errors?: Record<string, string>;
}
interface Block {
  line: number;
  source: string;
  meta: Meta;
}

function readmeBlocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /(?:<!--\s*readme-test:\s*(\{[\s\S]*?\})\s*-->\s*\n)?```graphql\n([\s\S]*?)```/g;
  for (let m = re.exec(md); m; m = re.exec(md)) {
    const line = md.slice(0, m.index).split('\n').length + (m[1] ? 1 : 0);
    out.push({ line, source: m[2]!, meta: m[1] ? (JSON.parse(m[1]) as Meta) : {} });
  }
  return out;
}

const blocks = readmeBlocks(README);
let s: TestServer;
const sessions = new Map<string, string>();
const byName: Record<string, unknown> = {};
const byField: Record<string, unknown> = {};

beforeAll(async () => {
  s = await startTestServer('readme');
  const sql = postgres(s.config.db.url!, { max: 1, onnotice: () => {} });
  try {
    expect(await seedDemo(sql)).toBe(true);
  } finally {
    await sql.end();
  }
  expect(await seedDemoUsers(s.database.db, s.deps.hasher, DEMO_PASSWORD)).toBe(true);
}, 60_000);
afterAll(async () => {
  await s?.close();
});

async function sessionOf(account: string): Promise<string | undefined> {
  if (account === 'anonymous') return undefined;
  if (!sessions.has(account)) {
    const { cookie, result } = await s.login(account, DEMO_PASSWORD);
    if (!cookie) throw new Error(`could not sign in ${account}: ${JSON.stringify(result.errors)}`);
    sessions.set(account, cookie);
  }
  return sessions.get(account);
}

function lookup(ref: string): unknown {
  const [first, ...rest] = ref.split('.');
  let v: unknown = first! in byName ? byName[first!] : byField[first!];
  if (v === undefined) throw new Error(`"${ref}": no earlier answer has ${first}`);
  for (const seg of rest) v = (v as Record<string, unknown> | null)?.[seg];
  return v;
}

function valueOf(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (raw.startsWith('$.')) return lookup(raw.slice(2));
  const ahead = /^@in:(\d+)$/.exec(raw);
  if (ahead) return new Date(Date.now() + Number(ahead[1]) * 1000).toISOString();
  return raw;
}

function variablesFor(op: OperationDefinitionNode, meta: Meta): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const d of op.variableDefinitions ?? []) {
    const name = d.variable.name.value;
    if (meta.vars && name in meta.vars) vars[name] = valueOf(meta.vars[name]);
    else if (d.type.kind === Kind.NON_NULL_TYPE) throw new Error(`$${name} is required: give it in the block's readme-test comment`);
  }
  return vars;
}

type Answer = { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

async function subscribeFirst(query: string, variables: Record<string, unknown>, cookie: string | undefined): Promise<Answer> {
  const headers = cookie ? { cookie } : {};
  class WithCookie extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  }
  const client = createClient({ url: `${s.url.replace('http', 'ws')}/graphql`, webSocketImpl: WithCookie, retryAttempts: 0 });
  try {
    const events = client.iterate({ query, variables });
    const first = await events.next();
    await events.return?.();
    if (first.done) throw new Error('the subscription ended without an event');
    return first.value as Answer;
  } finally {
    await client.dispose();
  }
}

async function run(op: OperationDefinitionNode, fragments: DefinitionNode[], meta: Meta, cookie: string | undefined): Promise<{ answer: Answer; cookie: string | undefined }> {
  const query = [op, ...fragments].map((d) => print(d)).join('\n');
  const variables = variablesFor(op, meta);
  if (op.operation === 'subscription') return { answer: await subscribeFirst(query, variables, cookie), cookie };
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await res.json()) as Answer;
  const fresh = sessionCookieOf(res, s.config.auth.cookieName);
  return { answer, cookie: fresh ?? cookie };
}

describe('README.md GraphQL examples', () => {
  it('has examples to run, each under a readable convention', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const b of blocks) expect(() => parse(b.source), `README line ${b.line}`).not.toThrow();
  });

  it('the webhooks answer 404 under SMS_PROVIDER=log, as the README says', async () => {
    expect(s.config.sms.provider).toBe('log');
    expect(README).toContain('Under `SMS_PROVIDER=log` (the default) both answer\n404');
    for (const hook of ['status', 'inbound']) {
      const res = await fetch(`${s.url}/webhooks/twilio/${hook}`, { method: 'POST', body: new URLSearchParams({ Body: 'STOP' }) });
      expect(res.status, hook).toBe(404);
    }
  });

  for (const block of blocks) {
    const doc = parse(block.source);
    const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const fragments = doc.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    const label = ops.map((o) => o.name?.value ?? (o.selectionSet.selections[0] as { name: { value: string } }).name.value).join(', ');

    it(`README line ${block.line}: ${label}`, async () => {
      let cookie = await sessionOf(block.meta.as ?? DEFAULT_ACCOUNT);
      for (const op of ops) {
        const name = op.name?.value;
        const fields = op.selectionSet.selections.flatMap((sel) => (sel.kind === Kind.FIELD ? [sel.alias?.value ?? sel.name.value] : []));
        const where = `README line ${block.line}, ${name ?? fields.join(', ')}`;
        const { answer, cookie: next } = await run(op, fragments, block.meta, cookie);
        cookie = next;
        const expected = (name && block.meta.errors?.[name]) ?? fields.map((f) => block.meta.errors?.[f]).find(Boolean);
        if (expected) {
          expect(answer.errors?.map((e) => e.extensions?.code), where).toContain(expected);
          continue;
        }
        expect(answer.errors, where).toBeUndefined();
        expect(answer.data, where).toBeTruthy();
        if (name) byName[name] = answer.data;
        for (const [k, v] of Object.entries(answer.data!)) byField[k] = v;
      }
      for (const p of block.meta.nonEmpty ?? []) {
        const v = lookup(p);
        expect(Array.isArray(v) && v.length > 0, `README line ${block.line}: ${p} should list something, got ${JSON.stringify(v)}`).toBe(true);
      }
      for (const [p, want] of Object.entries(block.meta.equals ?? {})) expect(lookup(p), `README line ${block.line}: ${p}`).toEqual(want);
    }, 30_000);
  }
});
