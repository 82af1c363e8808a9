import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDirectoryExtras } from '../src/db/seed.js';
import { createLogger } from '../src/lib/logger.js';
import { fromFloating, parseLocal } from '../src/modules/event/recurrence.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { startFakeTwilio, twilioEnv, type FakeTwilio } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_REDIS_URL, type GqlResult, type TestServer } from './helpers/server.js';

let s: TestServer;
let fake: FakeTwilio;
let worker: RunningWorker;
let a: SeededChurch;
let b: SeededChurch;
const TZ = 'America/Chicago';
const DAY = 86_400_000;
let choir: string;
let ushers: string;
let years: string;
let loner: string; // a person in no household and no group
let nameSeq = 0;

const LIST_PAGE = `query($id: ID!, $first: Int, $after: String) { smartList(id: $id) { id name memberCount
  members(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id status tags { name } } } } }`;
const CREATE = `mutation($input: CreateSmartListInput!) { createSmartList(input: $input) { id name rules } }`;

function err(r: GqlResult<unknown>) {
  expect(r.errors, JSON.stringify(r.data)).toBeDefined();
  return r.errors![0]!;
}
const m = (i: number) => String(a.memberIds[i]!);
const today = (tz = TZ) => new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date());
const daysAgo = (d: number) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(Date.now() - d * DAY));
function yearsAgo(n: number, plusDays = 0): string {
  const [y, mo, d] = today().split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(y - n, mo, 0)).getUTCDate();
  const base = Date.UTC(y - n, mo - 1, Math.min(d, last));
  return new Date(base + plusDays * DAY).toISOString().slice(0, 10);
}

async function list(rules: Record<string, unknown>, churchId = a.churchId): Promise<string> {
  const r = await s.gql(CREATE, { input: { churchId: String(churchId), name: `List ${++nameSeq}`, rules } });
  expect(r.errors, JSON.stringify(rules)).toBeUndefined();
  return r.data.createSmartList.id;
}
/** Every member of a list (paged by 3, so the keyset pages are walked), and its counts. */
async function people(id: string): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  let count = -1;
  for (let i = 0; i < 20; i++) {
    const r: GqlResult<any> = await s.gql(LIST_PAGE, { id, first: 3, after });
    expect(r.errors).toBeUndefined();
    out.push(...r.data.smartList.members.nodes.map((n: { id: string }) => n.id));
    count = r.data.smartList.memberCount;
    expect(r.data.smartList.members.totalCount).toBe(count);
    if (!r.data.smartList.members.pageInfo.hasNextPage) break;
    after = r.data.smartList.members.pageInfo.endCursor;
  }
  expect(new Set(out).size).toBe(out.length);
  expect(out.length).toBe(count);
  return out.sort();
}
const ids = (...is: number[]) => is.map(m).sort();
const ofIndex = (pred: (i: number) => boolean) => a.memberIds.map((_, i) => i).filter(pred).map(m).sort();

beforeAll(async () => {
  fake = await startFakeTwilio();
  s = await startTestServer('smart-lists', { ...twilioEnv(fake), SMS_SEND_TIMEOUT_MS: '500', SMS_SWEEP_INTERVAL_S: '1' });
  // 12 people: statuses by i % 5 (member, regular, visitor, member, inactive), households of two
  // (even: HEAD, odd: SPOUSE), each in groups i % 3 and (i + 1) % 3
  a = await seedChurch(s, { members: 12, timeZone: TZ });
  b = await seedChurch(s, { members: 3, timeZone: TZ });
  const sql = s.database.sql;
  await sql`UPDATE churches SET sms_from_number = '+13125550177' WHERE id = ${a.churchId}`;
  choir = (await s.gql('mutation($c: ID!) { createTag(churchId: $c, name: "Choir") { id } }', { c: String(a.churchId) })).data.createTag.id;
  ushers = (await s.gql('mutation($c: ID!) { createTag(churchId: $c, name: "Ushers") { id } }', { c: String(a.churchId) })).data.createTag.id;
  expect((await s.gql('mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed } }', { t: choir, m: [m(0), m(1), m(2), m(6)] })).data.tagMembers.changed).toBe(4);
  await s.gql('mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed } }', { t: ushers, m: [m(1), m(7)] });
  years = (await s.gql('mutation($c: ID!) { createCustomField(input: { churchId: $c, name: "Years", type: NUMBER }) { id } }', { c: String(a.churchId) })).data.createCustomField.id;
  for (const [i, n] of [[0, 1], [3, 5], [8, 12]] as const) {
    await s.gql('mutation($id: ID!, $f: ID!, $n: Float) { updateMember(id: $id, input: { customFields: [{ fieldId: $f, number: $n }] }) { id } }', { id: m(i), f: years, n });
  }
  // ages: 0 turns 30 today, 1 turns 30 tomorrow (29), 2 is 70
  await sql`UPDATE members SET birth_date = ${yearsAgo(30)} WHERE id = ${a.memberIds[0]!}`;
  await sql`UPDATE members SET birth_date = ${yearsAgo(30, 1)} WHERE id = ${a.memberIds[1]!}`;
  await sql`UPDATE members SET birth_date = ${yearsAgo(70)} WHERE id = ${a.memberIds[2]!}`;
  // first visits: 2 today, 7 six days ago, 9 ten days ago
  await sql`UPDATE members SET first_visit_on = ${today()} WHERE id = ${a.memberIds[2]!}`;
  await sql`UPDATE members SET first_visit_on = ${daysAgo(6)} WHERE id = ${a.memberIds[7]!}`;
  await sql`UPDATE members SET first_visit_on = ${daysAgo(10)} WHERE id = ${a.memberIds[9]!}`;
  // texts: 4 opted out, 5 has no phone
  await s.gql('mutation($id: ID!) { updateMember(id: $id, input: { smsOptedOut: true }) { id } }', { id: m(4) });
  await sql`UPDATE members SET phone = NULL WHERE id = ${a.memberIds[5]!}`;
  const l = await s.gql('mutation($c: ID!) { createMember(input: { churchId: $c, firstName: "Lone", lastName: "Walker", status: VISITOR }) { id } }', { c: String(a.churchId) });
  loner = l.data.createMember.id;
  worker = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL });
}, 60_000);
afterAll(async () => {
  await worker?.close();
  await s?.close();
  await fake?.close();
});

describe('tags', () => {
  it('are listed, shown on people, and filter the directory', async () => {
    const r = await s.gql(`query($c: ID!, $t: [ID!]) { tags(churchId: $c) { name memberCount }
      members(churchId: $c, first: 50, filter: { tagIds: $t }) { totalCount nodes { id tags { id name } } } }`, { c: String(a.churchId), t: [ushers] });
    expect(r.errors).toBeUndefined();
    expect(r.data.tags).toEqual([{ name: 'Choir', memberCount: 4 }, { name: 'Ushers', memberCount: 2 }]);
    expect(r.data.members.nodes.map((n: { id: string }) => n.id).sort()).toEqual(ids(1, 7));
    expect(r.data.members.nodes.find((n: { id: string }) => n.id === m(1)).tags.map((t: { name: string }) => t.name)).toEqual(['Choir', 'Ushers']);
  });

  it('bulk tagging is idempotent; untagging; bad ids change nothing', async () => {
    const t = (await s.gql('mutation($c: ID!) { createTag(churchId: $c, name: "Temp") { id } }', { c: String(a.churchId) })).data.createTag.id;
    const TAG = 'mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed tag { id } } }';
    expect((await s.gql(TAG, { t, m: [m(3), m(4)] })).data.tagMembers.changed).toBe(2);
    expect((await s.gql(TAG, { t, m: [m(3), m(4), m(5)] })).data.tagMembers.changed).toBe(1);
    // another church's person: NOT_FOUND, and nobody was tagged
    const cross = err(await s.gql(TAG, { t, m: [m(6), String(b.memberIds[0])] }));
    expect(cross.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'memberIds' });
    expect(err(await s.gql(TAG, { t, m: ['x'] })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    expect(err(await s.gql(TAG, { t, m: [] })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    expect(err(await s.gql(TAG, { t, m: Array.from({ length: 5001 }, (_, i) => String(i + 1)) })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    const [{ n }] = await s.database.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM member_tags WHERE tag_id = ${Number(t)}`;
    expect(n).toBe(3);
    expect((await s.gql('mutation($t: ID!, $m: [ID!]!) { untagMembers(tagId: $t, memberIds: $m) { changed } }', { t, m: [m(3), m(9)] })).data.untagMembers.changed).toBe(1);
  });

  it('rename and archive need ADMIN; an archived tag leaves people and cannot be given; names are unique', async () => {
    const staff = await s.userWith('tags-staff@steeple.test', [[a.churchId, 'staff']]);
    const t = (await s.gql('mutation($c: ID!) { createTag(churchId: $c, name: "Greeters") { id } }', { c: String(a.churchId) }, staff.headers)).data.createTag.id;
    expect(err(await s.gql('mutation($id: ID!) { renameTag(id: $id, name: "Welcome") { id } }', { id: t }, staff.headers)).extensions?.code).toBe('FORBIDDEN');
    expect(err(await s.gql('mutation($c: ID!) { createTag(churchId: $c, name: " choir ") { id } }', { c: String(a.churchId) })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(err(await s.gql('mutation($c: ID!) { createTag(churchId: $c, name: "") { id } }', { c: String(a.churchId) })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect((await s.gql('mutation($id: ID!) { renameTag(id: $id, name: "Welcome team") { name } }', { id: t })).data.renameTag.name).toBe('Welcome team');
    await s.gql('mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed } }', { t, m: [m(10)] });
    await s.gql('mutation($id: ID!) { archiveTag(id: $id) { archivedAt } }', { id: t });
    const shown = await s.gql('query($id: ID!) { member(id: $id) { tags { name } } }', { id: m(10) });
    expect(shown.data.member.tags).toEqual([]);
    expect(err(await s.gql('mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed } }', { t, m: [m(11)] })).extensions?.field).toBe('tagId');
    const all = await s.gql('query($c: ID!) { tags(churchId: $c, includeArchived: true) { name archivedAt } }', { c: String(a.churchId) });
    expect(all.data.tags.find((x: { name: string }) => x.name === 'Welcome team').archivedAt).not.toBeNull();
    await s.gql('mutation($id: ID!) { restoreTag(id: $id) { id } }', { id: t });
    expect((await s.gql('query($id: ID!) { member(id: $id) { tags { name } } }', { id: m(10) })).data.member.tags).toEqual([{ name: 'Welcome team' }]);
  });
});

describe('smart-list rules, each field', () => {
  const c = (field: string, op: string, value?: unknown) => ({ conditions: [{ field, op, value }] });
  it('status', async () => {
    expect(await people(await list(c('status', 'IN', ['MEMBER'])))).toEqual(ofIndex((i) => i % 5 === 0 || i % 5 === 3));
    expect(await people(await list(c('status', 'NOT_IN', ['MEMBER', 'INACTIVE', 'VISITOR'])))).toEqual(ofIndex((i) => i % 5 === 1));
  });
  it('tags: any, all, none', async () => {
    expect(await people(await list(c('tags', 'HAS_ANY', [choir, ushers])))).toEqual(ids(0, 1, 2, 6, 7));
    expect(await people(await list(c('tags', 'HAS_ALL', [choir, ushers])))).toEqual(ids(1));
    const none = await people(await list(c('tags', 'HAS_NONE', [choir])));
    expect(none).toEqual([...ofIndex((i) => ![0, 1, 2, 6].includes(i)), loner].sort());
  });
  it('groups and household role', async () => {
    expect(await people(await list(c('groups', 'HAS_ANY', [String(a.groupIds[0])])))).toEqual(ofIndex((i) => i % 3 === 0 || i % 3 === 2));
    expect(await people(await list(c('groups', 'HAS_NONE', [String(a.groupIds[0])])))).toEqual([...ofIndex((i) => i % 3 === 1), loner].sort());
    expect(await people(await list(c('groups', 'IS_NOT_SET')))).toEqual([loner]);
    expect(await people(await list(c('householdRole', 'IN', ['HEAD'])))).toEqual(ofIndex((i) => i % 2 === 0));
    expect(await people(await list(c('householdRole', 'IS_NOT_SET')))).toEqual([loner]);
  });
  it('age from birth date, on the birthday itself', async () => {
    expect(await people(await list(c('age', 'GTE', 30)))).toEqual(ids(0, 2));
    expect(await people(await list(c('age', 'LTE', 29)))).toEqual(ids(1));
    expect(await people(await list(c('age', 'BETWEEN', { min: 29, max: 30 })))).toEqual(ids(0, 1));
  });
  it('first-visit and joined ranges', async () => {
    expect(await people(await list(c('firstVisitOn', 'WITHIN_LAST_DAYS', 7)))).toEqual([...ids(2, 7), loner].sort()); // the new visitor's first visit is today
    // joined (seeded): 0 2010-01-15, 3 2013-04-15, 5 2015-06-15, 8 2018-09-15, 10 2020-02-15
    expect(await people(await list(c('joinedOn', 'BETWEEN', { from: '2013-01-01', to: '2018-12-31' })))).toEqual(ids(3, 5, 8));
    expect(await people(await list(c('joinedOn', 'BETWEEN', { from: '2019-01-01' })))).toEqual(ids(10));
  });
  it('SMS consent', async () => {
    expect(await people(await list(c('smsConsent', 'EQ', false)))).toEqual([...ids(4, 5), loner].sort());
  });
  it('custom field', async () => {
    expect(await people(await list(c('customField', 'MATCHES', { fieldId: years, min: 5 })))).toEqual(ids(3, 8));
    expect(await people(await list(c('customField', 'MATCHES', { fieldId: years, isSet: true })))).toEqual(ids(0, 3, 8));
  });
  it('all / any with one level of groups', async () => {
    // visitors, or (choir and head of household)
    const id = await list({
      match: 'ANY',
      conditions: [{ field: 'status', op: 'IN', value: ['VISITOR'] }],
      groups: [{ match: 'ALL', conditions: [{ field: 'tags', op: 'HAS_ANY', value: [choir] }, { field: 'householdRole', op: 'IN', value: ['HEAD'] }] }],
    });
    expect(await people(id)).toEqual([...ofIndex((i) => i % 5 === 2), m(0), m(6), loner].sort());
    // the saved rules read back as given (normalized)
    const r = await s.gql('query($id: ID!) { smartList(id: $id) { rules } }', { id });
    expect(r.data.smartList.rules.groups[0].conditions[1]).toEqual({ field: 'householdRole', op: 'IN', value: ['HEAD'] });
  });
  it('a list ordered by a custom field, keyset-paged', async () => {
    const id = await list(c('status', 'IN', ['MEMBER']));
    const Q = 'query($id: ID!, $f: ID!, $after: String) { smartList(id: $id) { members(first: 2, after: $after, orderByField: { fieldId: $f, descending: true }) { pageInfo { hasNextPage endCursor } nodes { id } } } }';
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const r: GqlResult<any> = await s.gql(Q, { id, f: years, after });
      expect(r.errors).toBeUndefined();
      seen.push(...r.data.smartList.members.nodes.map((n: { id: string }) => n.id));
      if (!r.data.smartList.members.pageInfo.hasNextPage) break;
      after = r.data.smartList.members.pageInfo.endCursor;
    }
    // members: 0, 3, 5, 8, 10; years: 8 → 12, 3 → 5, 0 → 1, then 5 and 10 (no value) by name
    expect(seen.slice(0, 3)).toEqual([m(8), m(3), m(0)]);
    expect(seen.slice(3).sort()).toEqual(ids(5, 10));
  });

  it('directory arguments apply on top of the rules', async () => {
    const id = await list(c('tags', 'HAS_ANY', [choir]));
    const r = await s.gql('query($id: ID!) { smartList(id: $id) { members(first: 10, filter: { status: [MEMBER] }) { nodes { id } } } }', { id });
    expect(r.data.smartList.members.nodes.map((n: { id: string }) => n.id).sort()).toEqual(ids(0, 6).filter((x) => [m(0)].includes(x)));
  });
});

describe('rules are validated and bounded', () => {
  const bad = async (rules: unknown, field: string) => {
    const before = await s.database.sql`SELECT count(*)::int AS n FROM smart_lists`;
    const r = await s.gql(CREATE, { input: { churchId: String(a.churchId), name: `Bad ${++nameSeq}`, rules } });
    const e = err(r);
    expect(e.extensions?.code, JSON.stringify(rules)).toBe('BAD_USER_INPUT');
    expect(e.extensions?.field, JSON.stringify(rules)).toBe(field);
    const after = await s.database.sql`SELECT count(*)::int AS n FROM smart_lists`;
    expect(after[0]!.n).toBe(before[0]!.n);
  };
  const one = (x: Record<string, unknown>) => ({ conditions: [x] });
  it('names the path of the offending rule', async () => {
    await bad(one({ field: 'colour', op: 'IN', value: [] }), 'input.rules.conditions[0].field');
    await bad(one({ field: '__proto__', op: 'IN', value: [] }), 'input.rules.conditions[0].field');
    await bad(one({ field: 'status', op: 'HAS_ALL', value: ['MEMBER'] }), 'input.rules.conditions[0].op');
    await bad(one({ field: 'status', op: 'IN', value: 'MEMBER' }), 'input.rules.conditions[0].value');
    await bad(one({ field: 'status', op: 'IN', value: ['MEMBER', 'ANGEL'] }), 'input.rules.conditions[0].value[1]');
    await bad(one({ field: 'tags', op: 'HAS_ANY', value: [choir, '99999999'] }), 'input.rules.conditions[0].value[1]');
    await bad(one({ field: 'groups', op: 'HAS_ANY', value: [String(b.groupIds[0])] }), 'input.rules.conditions[0].value[0]');
    await bad(one({ field: 'groups', op: 'IS_SET', value: [1] }), 'input.rules.conditions[0].value');
    await bad(one({ field: 'age', op: 'GTE', value: '30' }), 'input.rules.conditions[0].value');
    await bad(one({ field: 'age', op: 'BETWEEN', value: { min: 40, max: 30 } }), 'input.rules.conditions[0].value.max');
    await bad(one({ field: 'joinedOn', op: 'BETWEEN', value: { from: '2020-02-30' } }), 'input.rules.conditions[0].value.from');
    await bad(one({ field: 'joinedOn', op: 'WITHIN_LAST_DAYS', value: 0 }), 'input.rules.conditions[0].value');
    await bad(one({ field: 'smsConsent', op: 'EQ', value: 'yes' }), 'input.rules.conditions[0].value');
    await bad(one({ field: 'customField', op: 'MATCHES', value: { fieldId: years, text: 'x' } }), 'input.rules.conditions[0].value.text');
    await bad(one({ field: 'customField', op: 'MATCHES', value: { fieldId: years, min: 1, evil: { $where: 1 } } }), 'input.rules.conditions[0].value.evil');
    await bad(one({ field: 'lapsed', op: 'MATCHES', value: { minAttendances: 0 } }), 'input.rules.conditions[0].value.minAttendances');
    await bad(one({ field: 'lapsed', op: 'MATCHES', value: { eventId: '424242' } }), 'input.rules.conditions[0].value.eventId');
    await bad({ conditions: [{ field: 'status', op: 'IN', value: ['MEMBER'] }], groups: [{ conditions: [{ field: 'tags', op: 'HAS_ANY', value: [choir] }, { field: 'age', op: 'LTE', value: -1 }] }] }, 'input.rules.groups[0].conditions[1].value');
  });
  it('bounds the rule set', async () => {
    await bad({ conditions: [] }, 'input.rules');
    await bad({ conditions: Array.from({ length: 31 }, () => ({ field: 'smsConsent', op: 'EQ', value: true })) }, 'input.rules');
    await bad({ groups: Array.from({ length: 11 }, () => ({ conditions: [{ field: 'smsConsent', op: 'EQ', value: true }] })) }, 'input.rules.groups');
    await bad({ conditions: [{ field: 'smsConsent', op: 'EQ', value: true }], groups: [{ conditions: [] }] }, 'input.rules.groups[0].conditions');
    await bad(one({ field: 'tags', op: 'HAS_ANY', value: Array.from({ length: 101 }, (_, i) => String(i + 1)) }), 'input.rules.conditions[0].value');
    await bad({ conditions: [1, 2, 3].map(() => ({ field: 'lapsed', op: 'MATCHES' })) }, 'input.rules.conditions[2]');
  });
  it('roles and tenancy: a VIEWER reads but cannot save; another church sees nothing', async () => {
    const id = await list(one({ field: 'tags', op: 'HAS_ANY', value: [choir] }));
    const viewer = await s.userWith('lists-viewer@steeple.test', [[a.churchId, 'viewer']]);
    expect((await s.gql(LIST_PAGE, { id, first: 5 }, viewer.headers)).errors).toBeUndefined();
    expect(err(await s.gql(CREATE, { input: { churchId: String(a.churchId), name: 'Viewer list', rules: one({ field: 'smsConsent', op: 'EQ', value: true }) } }, viewer.headers)).extensions?.code).toBe('FORBIDDEN');
    const otherAdmin = await s.userWith('lists-other@steeple.test', [[b.churchId, 'admin']]);
    expect(err(await s.gql(LIST_PAGE, { id, first: 5 }, otherAdmin.headers)).extensions?.code).toBe('NOT_FOUND');
    expect(err(await s.gql('mutation($id: ID!) { deleteSmartList(id: $id) }', { id }, otherAdmin.headers)).extensions?.code).toBe('NOT_FOUND');
    // a rule naming A's tag cannot be saved in B
    const inB = err(await s.gql(CREATE, { input: { churchId: String(b.churchId), name: 'Steal', rules: one({ field: 'tags', op: 'HAS_ANY', value: [choir] }) } }));
    expect(inB.extensions?.field).toBe('input.rules.conditions[0].value[0]');
  });
});

describe('a page with its count', () => {
  it('compiles the list’s rules once for memberCount and members (the tag lookup runs once)', async () => {
    const id = await list({ match: 'ALL', conditions: [{ field: 'tags', op: 'HAS_ANY', value: [ushers] }] });
    const reader = await s.userWith('lists-once@steeple.test', [[a.churchId, 'viewer']]);
    s.database.statements.reset();
    const r = await s.gql(LIST_PAGE, { id, first: 20 }, reader.headers);
    expect(r.errors).toBeUndefined();
    expect(r.data.smartList.memberCount).toBe(r.data.smartList.members.nodes.length);
    const lookups = s.database.statements.recent.filter((q) => /SELECT id FROM "tags"/.test(q.query));
    expect(lookups).toHaveLength(1);
  });
});

describe('a list changes with its people, cached pages included', () => {
  it('a tag or a status change shows on the next read of a cached page', async () => {
    const id = await list({ match: 'ALL', conditions: [{ field: 'tags', op: 'HAS_ANY', value: [ushers] }, { field: 'status', op: 'NOT_IN', value: ['INACTIVE'] }] });
    // a reader of A only (the default caller, in every church, would also be dropped by B's changes)
    const reader = await s.userWith('lists-reader@steeple.test', [[a.churchId, 'viewer']]);
    const read = async () => {
      s.database.statements.reset();
      const r = await s.gql(LIST_PAGE, { id, first: 20 }, reader.headers);
      expect(r.errors).toBeUndefined();
      const touched = s.database.statements.recent.some((q) => /smart_lists|FROM members m/.test(q.query));
      return { ids: r.data.smartList.members.nodes.map((n: { id: string }) => n.id).sort(), count: r.data.smartList.memberCount, fromCache: !touched };
    };
    expect(await read()).toMatchObject({ ids: ids(1, 7), count: 2 });
    expect(await read()).toMatchObject({ ids: ids(1, 7), fromCache: true });
    await s.gql('mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed } }', { t: ushers, m: [m(11)] });
    expect(await read()).toMatchObject({ ids: ids(1, 7, 11), count: 3, fromCache: false });
    expect((await read()).fromCache).toBe(true);
    await s.gql('mutation($id: ID!) { updateMember(id: $id, input: { status: INACTIVE }) { id } }', { id: m(7) });
    expect(await read()).toMatchObject({ ids: ids(1, 11), count: 2, fromCache: false });
    await s.gql('mutation($t: ID!, $m: [ID!]!) { untagMembers(tagId: $t, memberIds: $m) { changed } }', { t: ushers, m: [m(11)] });
    expect(await read()).toMatchObject({ ids: ids(1), count: 1, fromCache: false });
    // a custom value change, and the list's own rules
    await s.gql('mutation($id: ID!, $input: UpdateSmartListInput!) { updateSmartList(id: $id, input: $input) { id } }', {
      id,
      input: { rules: { conditions: [{ field: 'customField', op: 'MATCHES', value: { fieldId: years, min: 10 } }] } },
    });
    expect(await read()).toMatchObject({ ids: ids(8), fromCache: false });
    expect((await read()).fromCache).toBe(true);
    await s.gql('mutation($id: ID!, $f: ID!) { updateMember(id: $id, input: { customFields: [{ fieldId: $f, number: 40 }] }) { id } }', { id: m(3), f: years });
    expect(await read()).toMatchObject({ ids: ids(3, 8), fromCache: false });
    // another church's changes do not drop it
    expect((await read()).fromCache).toBe(true);
    await s.gql('mutation($id: ID!) { updateMember(id: $id, input: { status: INACTIVE }) { id } }', { id: String(b.memberIds[0]) });
    expect((await read()).fromCache).toBe(true);
  });
});

describe('the lapsed rule', () => {
  it('matches lapsedPeople exactly, and a check-in takes a person out of the cached list', async () => {
    const c = await seedChurch(s, { members: 10, timeZone: TZ });
    const sql = s.database.sql;
    const [e] = await sql<[{ id: number }]>`
      INSERT INTO events (church_id, name, time_zone, starts_local, duration_minutes, rrule)
      VALUES (${c.churchId}, 'Morning Prayer', ${TZ}, '2026-01-01T09:00', 60, 'FREQ=DAILY') RETURNING id`;
    const at = (d: number) => fromFloating(parseLocal(`${daysAgo(d)}T09:00`)!, TZ).toISOString();
    // statuses: 0 member, 1 regular, 2 visitor, 3 member, 4 inactive, 5 member, 6 regular
    const history: Array<[number, number[]]> = [[0, [30, 37, 44]], [1, [10, 30, 37, 44]], [2, [30, 37, 44]], [3, [30, 37]], [4, [30, 37, 44]], [5, [30, 37, 90]], [6, [29, 50, 80]]];
    for (const [i, days] of history) {
      for (const d of days) await sql`INSERT INTO check_ins (church_id, event_id, occurrence_start, member_id, via) VALUES (${c.churchId}, ${e.id}, ${at(d)}, ${c.memberIds[i]!}, 'bulk')`;
    }
    const rule = { minAttendances: 3, previousWeeks: 8, absentWeeks: 4 };
    const lapsed = await s.gql('query($c: ID!, $r: LapsedInput!) { lapsedPeople(churchId: $c, rule: $r, first: 100) { edges { node { id } } } }', { c: String(c.churchId), r: rule });
    expect(lapsed.errors).toBeUndefined();
    const expected = lapsed.data.lapsedPeople.edges.map((x: { node: { id: string } }) => x.node.id).sort();
    expect(expected).toEqual([String(c.memberIds[0]), String(c.memberIds[6])].sort());
    const id = await list({ conditions: [{ field: 'lapsed', op: 'MATCHES', value: rule }] }, c.churchId);
    expect(await people(id)).toEqual(expected);
    const bySeries = await list({ conditions: [{ field: 'lapsed', op: 'MATCHES', value: { ...rule, eventId: String(e.id) } }, { field: 'status', op: 'IN', value: ['REGULAR'] }] }, c.churchId);
    expect(await people(bySeries)).toEqual([String(c.memberIds[6])]);
    // a check-in through the API (today's occurrence) drops the cached page
    const occ = `${e.id}@${fromFloating(parseLocal(`${daysAgo(0)}T09:00`)!, TZ).toISOString().replace('.000Z', 'Z')}`;
    const ci = await s.gql('mutation($o: ID!, $m: [ID!]!) { checkIn(occurrenceId: $o, memberIds: $m) { checkedIn } }', { o: occ, m: [String(c.memberIds[0])] });
    expect(ci.errors).toBeUndefined();
    expect(await people(id)).toEqual([String(c.memberIds[6])]);
  });
});

describe('a smart list as an SMS audience', () => {
  it('texts exactly its members who can be texted (fake Twilio)', async () => {
    const id = await list({ match: 'ANY', conditions: [{ field: 'tags', op: 'HAS_ANY', value: [choir] }, { field: 'age', op: 'GTE', value: 30 }] });
    const members = await people(id); // 0, 1, 2, 6
    expect(members).toEqual(ids(0, 1, 2, 6));
    const phones = await s.database.sql<{ phone: string }[]>`SELECT phone FROM members WHERE id = ANY(string_to_array(${members.join(',')}, ',')::int[]) AND phone IS NOT NULL`;
    const preview = await s.gql('query($c: ID!, $a: AudienceInput!) { previewMessage(churchId: $c, body: "Choir tonight", audience: $a) { audienceCount recipientCount } }', { c: String(a.churchId), a: { smartListIds: [id] } });
    expect(preview.data.previewMessage).toEqual({ audienceCount: 4, recipientCount: phones.length });
    const before = fake.messages.length;
    const sent = await s.gql('mutation($c: ID!, $a: AudienceInput!) { sendMessage(churchId: $c, body: "Choir tonight at 7", audience: $a, urgent: true) { id recipientCount audience { smartListIds } } }', { c: String(a.churchId), a: { smartListIds: [id] } });
    expect(sent.errors).toBeUndefined();
    expect(sent.data.sendMessage.audience.smartListIds).toEqual([id]);
    const until = Date.now() + 15_000;
    while (fake.messages.length < before + phones.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // and nothing more arrives
    const texted = fake.messages.slice(before).filter((x) => x.body === 'Choir tonight at 7').map((x) => x.to).sort();
    expect(texted).toEqual(phones.map((p) => p.phone).sort());
    // another church's list: NOT_FOUND naming the argument
    const other = await list({ conditions: [{ field: 'smsConsent', op: 'EQ', value: true }] }, b.churchId);
    const e = err(await s.gql('query($c: ID!, $a: AudienceInput!) { previewMessage(churchId: $c, body: "x", audience: $a) { audienceCount } }', { c: String(a.churchId), a: { smartListIds: [other] } }));
    expect(e.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'audience.smartListIds' });
  });
});

describe('the seeded lists (the demo has them)', () => {
  it('are valid rules that read and count', async () => {
    const c = await seedChurch(s, { members: 30, timeZone: TZ });
    expect(await seedDirectoryExtras(s.database.sql, [c.churchId], 5)).toEqual({ fields: 6, tags: 4, lists: 5 });
    const r = await s.gql(`query($c: ID!) { smartLists(churchId: $c) { totalCount nodes { id name rules memberCount members(first: 5) { totalCount nodes { id } } } } }`, { c: String(c.churchId) });
    expect(r.errors).toBeUndefined();
    expect(r.data.smartLists.totalCount).toBe(5);
    for (const l of r.data.smartLists.nodes) {
      expect(l.members.totalCount).toBe(l.memberCount);
      // saved again as they are: the strict check of a save passes too
      const u = await s.gql('mutation($id: ID!, $input: UpdateSmartListInput!) { updateSmartList(id: $id, input: $input) { id } }', { id: l.id, input: { rules: l.rules } });
      expect(u.errors, l.name).toBeUndefined();
    }
    expect(r.data.smartLists.nodes.find((l: { name: string }) => l.name === 'Worship team or musicians').memberCount).toBeGreaterThan(0);
  });
});
