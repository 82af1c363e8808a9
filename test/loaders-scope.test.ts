import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoaders, LOADER_NAMES, type LoaderScope, type Loaders } from '../src/modules/loaders.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;
let messageA: number;
let eventA: number;
let fieldA: number;
let tagA: number;
let listA: number;
let conversationA: { id: number; phone: string };
const START_A = new Date('2026-01-04T16:00:00Z');

/** A one-off event of church A with one check-in. */
async function seedEvent(churchId: number, memberId: number): Promise<number> {
  const sql = s.database.sql;
  const [row] = await sql<[{ id: number }]>`
    INSERT INTO events (church_id, name, time_zone, starts_local, duration_minutes)
    VALUES (${churchId}, 'loader scope event', 'America/Chicago', '2026-01-04T10:00', 60) RETURNING id`;
  await sql`INSERT INTO check_ins (church_id, event_id, occurrence_start, member_id, via)
    VALUES (${churchId}, ${row.id}, ${START_A.toISOString()}, ${memberId}, 'staff')`;
  await sql`INSERT INTO event_occurrences (church_id, event_id, original_start, headcount) VALUES (${churchId}, ${row.id}, ${START_A.toISOString()}, 3)`;
  return row.id;
}

/** A sent message of church `churchId` to its first two members (one delivered, one queued). */
async function seedMessage(churchId: number, memberIds: number[]): Promise<number> {
  const sql = s.database.sql;
  const [row] = await sql<[{ id: number }]>`
    INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number)
    VALUES (${churchId}, 'loader scope fixture', '{}'::jsonb, 'sending', now(), 'gsm7', 1, 2, 0, 0.0158, '+13125550100')
    RETURNING id`;
  await sql`
    INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, created_at)
    SELECT ${churchId}, ${row.id}, v.member_id, v.phone, v.status::recipient_status, m.created_at
    FROM messages m, (VALUES (${memberIds[0]!}::int, '+13125550198', 'delivered'), (${memberIds[1]!}::int, '+13125550199', 'queued')) v(member_id, phone, status)
    WHERE m.id = ${row.id}`;
  return row.id;
}

/** A conversation of church `churchId` with the number of its first member (who holds it). */
async function seedConversation(churchId: number, memberId: number): Promise<{ id: number; phone: string }> {
  const sql = s.database.sql;
  const phone = '+13125550177';
  await sql`UPDATE members SET phone = ${phone} WHERE id = ${memberId}`;
  const [row] = await sql<[{ id: number }]>`INSERT INTO conversations (church_id, phone) VALUES (${churchId}, ${phone}) RETURNING id`;
  return { id: row.id, phone };
}

const scopeOf = (...churchIds: number[]): LoaderScope => ({ churches: { all: false, ids: churchIds }, data: churchIds });
const EMPTY: LoaderScope = { churches: { all: false, ids: [] }, data: [] };

/**
 * One probe per key of the composed loaders, each asking for church A's rows (a church id, or ids
 * of A's members, households, groups, messages). The key list is checked against the composed
 * object, so a loader added later without a probe fails this file.
 */
function probes(): Record<keyof Loaders, (l: Loaders) => Promise<unknown>> {
  const page = { limit: 10, after: undefined };
  return {
    church: (l) => l.church.load(a.churchId),
    member: (l) => l.member.loadMany(a.memberIds.slice(0, 3)),
    householdMembers: (l) => l.householdMembers.load(a.householdIds[0]!),
    membersPage: (l) => l.membersPage({ filter: { archived: false }, orderBy: 'NAME', limit: 10 }).load(a.churchId),
    membersCount: (l) => l.membersCount({ archived: false }).load(a.churchId),
    household: (l) => l.household.loadMany(a.householdIds.slice(0, 2)),
    householdsPage: (l) => l.householdsPage(page).load(a.churchId),
    householdsCount: (l) => l.householdsCount.load(a.churchId),
    group: (l) => l.group.loadMany(a.groupIds),
    memberGroups: (l) => l.memberGroups.load(a.memberIds[0]!),
    groupsPage: (l) => l.groupsPage(page).load(a.churchId),
    groupsCount: (l) => l.groupsCount.load(a.churchId),
    groupMembersPage: (l) => l.groupMembersPage(page).load(a.groupIds[0]!),
    groupMembersCount: (l) => l.groupMembersCount.load(a.groupIds[0]!),
    message: (l) => l.message.load(messageA),
    recentMessages: (l) => l.recentMessages(5).load(a.memberIds[0]!),
    messageCounts: (l) => l.messageCounts.load(messageA),
    emailOptOut: (l) => l.emailOptOut.load(a.memberIds[0]!),
    event: (l) => l.event.load(eventA),
    checkInCount: (l) => l.checkInCount.load({ eventId: eventA, start: START_A }),
    customField: (l) => l.customField.load(fieldA),
    churchFields: (l) => l.churchFields.load(a.churchId),
    memberValues: (l) => l.memberValues.load(a.memberIds[0]!),
    tag: (l) => l.tag.load(tagA),
    churchTags: (l) => l.churchTags.load(a.churchId),
    memberTags: (l) => l.memberTags.load(a.memberIds[0]!),
    tagMemberCount: (l) => l.tagMemberCount.load(tagA),
    smartList: (l) => l.smartList.load(listA),
    conversation: (l) => l.conversation.load(conversationA.id),
    conversationMembers: (l) => l.conversationMembers.load(`${a.churchId}:${conversationA.phone}`),
    eventExceptions: (l) => l.eventExceptions({ from: START_A.getTime() - 86_400_000, to: START_A.getTime() + 86_400_000 }).load(eventA),
  };
}

/** Nothing: null, 0, an empty list, or a list of nulls (loadMany). */
function isNothing(v: unknown): boolean {
  if (v === null || v === 0) return true;
  if (Array.isArray(v)) return v.every((x) => x === null);
  return false;
}

beforeAll(async () => {
  s = await startTestServer('loaders-scope');
  a = await seedChurch(s, { members: 6 });
  b = await seedChurch(s, { members: 4 });
  messageA = await seedMessage(a.churchId, a.memberIds);
  eventA = await seedEvent(a.churchId, a.memberIds[0]!);
  const [f] = await s.database.sql<[{ id: number }]>`
    INSERT INTO custom_fields (church_id, name, type) VALUES (${a.churchId}, 'Shirt', 'text') RETURNING id`;
  fieldA = f.id;
  const [t] = await s.database.sql<[{ id: number }]>`INSERT INTO tags (church_id, name) VALUES (${a.churchId}, 'Choir') RETURNING id`;
  tagA = t.id;
  await s.database.sql`INSERT INTO member_tags (church_id, tag_id, member_id) VALUES (${a.churchId}, ${tagA}, ${a.memberIds[0]!})`;
  const [sl] = await s.database.sql<[{ id: number }]>`
    INSERT INTO smart_lists (church_id, name, rules) VALUES (${a.churchId}, 'Choir list', '{"match":"ALL","conditions":[]}'::jsonb) RETURNING id`;
  listA = sl.id;
  await s.database.sql`INSERT INTO member_field_values (church_id, member_id, field_id, value_text) VALUES (${a.churchId}, ${a.memberIds[0]!}, ${fieldA}, 'L')`;
  conversationA = await seedConversation(a.churchId, a.memberIds[0]!);
  await s.database.sql`INSERT INTO email_consents (church_id, member_id, email, opted_out_at, via) VALUES (${a.churchId}, ${a.memberIds[0]!}, 'person0@example.org', now(), 'unsubscribe:page')`;
});
afterAll(() => s.close());

describe('loaders are scoped to the viewer’s churches', () => {
  it('has a probe for every loader of the composed object', () => {
    expect([...LOADER_NAMES].sort()).toEqual(Object.keys(probes()).sort());
  });

  it('every loader finds church A’s rows with a scope holding A (the probes are real)', async () => {
    for (const [key, probe] of Object.entries(probes())) {
      const v = await probe(createLoaders(s.database.db, scopeOf(a.churchId)));
      expect(isNothing(v) || (Array.isArray(v) && v.length === 0), `${key} with A's scope: ${JSON.stringify(v)}`).toBe(false);
    }
  });

  it('messageCounts returns nothing for another church’s message', async () => {
    const l = createLoaders(s.database.db, scopeOf(b.churchId));
    expect(await l.messageCounts.load(messageA)).toBeNull();
    expect(await createLoaders(s.database.db, EMPTY).messageCounts.load(messageA)).toBeNull();
    // in scope: the real counts, and zeros (not nothing) are for messages of the scope only
    const own = await createLoaders(s.database.db, scopeOf(a.churchId)).messageCounts.load(messageA);
    expect(own).toMatchObject({ total: 2, delivered: 1, queued: 1 });
  });

  for (const [name, scope] of [
    ['an empty scope', () => EMPTY],
    ['church B’s scope', () => scopeOf(b.churchId)],
  ] as const) {
    it(`every loader returns nothing for church A’s keys with ${name}, and every statement names only the scope`, async () => {
      for (const [key, probe] of Object.entries(probes())) {
        const sc = scope();
        s.database.statements.reset();
        const v = await probe(createLoaders(s.database.db, sc));
        expect(isNothing(v) || (Array.isArray(v) && v.length === 0), `${key} with ${name}: ${JSON.stringify(v)}`).toBe(true);
        // the scope is in the statement: an empty scope sends none, B's scope names B in each
        if (!sc.data.length) expect(s.database.statements.count, key).toBe(0);
        for (const st of s.database.statements.recent) {
          expect(st.params.map(String), `${key}: ${st.query}`).toContain(String(b.churchId));
        }
      }
    });
  }
});

describe('no GraphQL path reaches another church’s delivery counts', () => {
  const COUNTS = 'query($id: ID!) { message(id: $id) { id counts { total delivered queued } } }';

  it('a member of A reads them', async () => {
    const ownerA = await s.userWith('owner-a@loaders.test', [[a.churchId, 'owner']]);
    const r = await s.gql(COUNTS, { id: String(messageA) }, ownerA.headers);
    expect(r.errors).toBeUndefined();
    expect(r.data.message.counts).toEqual({ total: 2, delivered: 1, queued: 1 });
  });

  it('an owner of B gets no message and no counts of A, by id, list or cancel', async () => {
    const ownerB = await s.userWith('owner-b@loaders.test', [[b.churchId, 'owner']]);
    const byId = await s.gql(COUNTS, { id: String(messageA) }, ownerB.headers);
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(byId.data?.message ?? null).toBeNull();
    const list = await s.gql('query($c: ID!) { messages(churchId: $c) { nodes { id counts { total } } } }', { c: String(a.churchId) }, ownerB.headers);
    expect(list.errors?.[0]?.extensions?.code).toMatch(/FORBIDDEN|NOT_FOUND/);
    expect(list.data?.messages ?? null).toBeNull();
    const cancel = await s.gql('mutation($id: ID!) { cancelMessage(id: $id) { id counts { total } } }', { id: String(messageA) }, ownerB.headers);
    expect(cancel.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(cancel.data?.cancelMessage ?? null).toBeNull();
  });
});
