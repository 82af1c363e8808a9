/**
 * analytics(churchId, period): every number checked against a fixture built by hand in SQL, the
 * expected values worked out by hand (see the comments beside them), not by re-running the SQL.
 *
 * The fixture church F is in Pacific/Auckland (UTC+12/+13), far from the server's UTC, so a
 * "today" or a date boundary taken in the wrong zone shows. Dates for the custom period are
 * absolute (2024); dates for the presets are relative to today in F's zone, computed here.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSynthetic } from '../src/db/seed.js';
import { seedChurch } from './helpers/factories.js';
import { startTestServer, type GqlResult, type TestServer } from './helpers/server.js';
import { parentName, scansOf } from './helpers/plans.js';

const TZ = 'Pacific/Auckland';
const ANALYTICS = `query($c: ID!, $p: AnalyticsPeriodInput) {
  analytics(churchId: $c, period: $p) {
    churchId church { id name }
    period { preset from to timeZone }
    membersByStatus { visitor regular member inactive total }
    newMembers firstTimeVisitors returningVisitors
    monthly { month joined inactivated netGrowth }
    households
    groupParticipation { activeMembers inGroups share }
    messaging { messages recipients textsSent delivered failed deliveryRate segments estimatedCost }
  } }`;

/** Today's date in a zone, computed independently of the code under test. */
function today(tz: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(new Date());
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month').padStart(2, '0')}-${get('day').padStart(2, '0')}`;
}
/** A date n days after d (negative: before). */
function shift(d: string, n: number): string {
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, day + n)).toISOString().slice(0, 10);
}

let s: TestServer;
let F: number; // the fixture church
let O: number; // another church with data on the same dates: never counted in F
let T: string; // today in F's zone
let sidSeq = 0;

interface Person {
  status: 'visitor' | 'regular' | 'member' | 'inactive';
  joined?: string;
  firstVisit?: string;
  inactivated?: string;
  household?: number;
  archived?: boolean;
  groups?: number[];
}

async function person(churchId: number, p: Person): Promise<number> {
  const sql = s.database.sql;
  const [row] = await sql<[{ id: number }]>`
    INSERT INTO members (church_id, first_name, last_name, status, joined_on, first_visit_on, inactivated_on, household_id, archived_at)
    VALUES (${churchId}, 'Fixture', 'Person', ${p.status}, ${p.joined ?? null}, ${p.firstVisit ?? null}, ${p.inactivated ?? null},
            ${p.household ?? null}, ${p.archived ? sql`now()` : null})
    RETURNING id`;
  for (const g of p.groups ?? []) {
    await sql`INSERT INTO group_memberships (church_id, group_id, member_id) VALUES (${churchId}, ${g}, ${row.id})`;
  }
  return row.id;
}

async function household(churchId: number, name: string): Promise<number> {
  const [h] = await s.database.sql<[{ id: number }]>`INSERT INTO households (church_id, name) VALUES (${churchId}, ${name}) RETURNING id`;
  return h.id;
}

async function group(churchId: number, name: string): Promise<number> {
  const [g] = await s.database.sql<[{ id: number }]>`INSERT INTO groups (church_id, name) VALUES (${churchId}, ${name}) RETURNING id`;
  return g.id;
}

type RStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'skipped' | 'cancelled';

/**
 * A message sent at a local wall-clock time of the church's zone, with one recipient per entry:
 * [status, has a provider sid]. Recipients are distinct members of the church.
 */
async function message(
  churchId: number,
  tz: string,
  local: string,
  m: { segments: number; cost: string; status?: 'completed' | 'cancelled' | 'sending'; recipients: Array<[RStatus, boolean]> },
  people: number[],
): Promise<number> {
  const sql = s.database.sql;
  const [row] = await sql<[{ id: number }]>`
    INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count,
                          estimated_cost, from_number, cancelled_at)
    VALUES (${churchId}, 'fixture text', '{}'::jsonb, ${m.status ?? 'completed'}, (${local}::timestamp AT TIME ZONE ${tz}), 'gsm7',
            ${m.segments}, ${m.recipients.filter(([st]) => st !== 'skipped').length}, ${m.recipients.filter(([st]) => st === 'skipped').length},
            ${m.cost}, '+13125550100', ${m.status === 'cancelled' ? sql`now()` : null})
    RETURNING id`;
  let i = 0;
  for (const [status, sid] of m.recipients) {
    await sql`
      INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, provider_sid, created_at)
      VALUES (${churchId}, ${row.id}, ${people[i++]!}, ${status === 'skipped' ? null : '+13125550199'}, ${status},
              ${sid ? `SMfixture${++sidSeq}` : null}, (SELECT created_at FROM messages WHERE id = ${row.id}))`;
  }
  return row.id;
}

async function analytics(churchId: number, period?: Record<string, unknown> | null, headers?: Record<string, string>) {
  return s.gql<any>(ANALYTICS, { c: String(churchId), p: period }, headers);
}

async function ok(churchId: number, period?: Record<string, unknown> | null) {
  const r = await analytics(churchId, period);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.analytics;
}

function expectBadInput(r: GqlResult<unknown>, field: string) {
  expect(r.errors, `expected BAD_USER_INPUT on ${field}, got ${JSON.stringify(r.data)}`).toBeDefined();
  expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(r.data ?? null).toBeNull();
}

const CUSTOM = { from: '2024-01-10', to: '2024-04-20' };

beforeAll(async () => {
  s = await startTestServer('analytics');
  T = today(TZ);
  F = (await seedChurch(s, { members: 0, name: 'Fixture Church', timeZone: TZ })).churchId;
  const other = await seedChurch(s, { members: 10, name: 'Other Church' });
  O = other.churchId;

  const g1 = await group(F, 'Choir');
  const g2 = await group(F, 'Youth');
  const h1 = await household(F, 'H1 two members');
  const h2 = await household(F, 'H2 one inactive member');
  const h3 = await household(F, 'H3 one visitor');
  const h4 = await household(F, 'H4 only archived members');
  await household(F, 'H5 empty');

  // ---- people with absolute dates (the custom period 2024-01-10 .. 2024-04-20) ----
  const m1 = await person(F, { status: 'member', joined: '2024-01-10', firstVisit: '2023-12-01', household: h1, groups: [g1] });
  const m2 = await person(F, { status: 'member', joined: '2024-01-09', household: h1 });
  const m3 = await person(F, { status: 'inactive', joined: '2024-02-15', inactivated: '2024-04-20', household: h2 });
  const m4 = await person(F, { status: 'member', joined: '2024-04-21', firstVisit: '2024-03-03' });
  const m5 = await person(F, { status: 'visitor', firstVisit: '2024-03-05', household: h3 });
  const m6 = await person(F, { status: 'regular', firstVisit: '2024-01-20', groups: [g1, g2] });
  await person(F, { status: 'member', joined: '2024-02-01', firstVisit: '2024-02-01', household: h4, archived: true, groups: [g1] });
  await person(F, { status: 'inactive', joined: '2023-05-01', firstVisit: '2024-03-10', household: h4, archived: true });
  const m8 = await person(F, { status: 'inactive', joined: '2023-05-01', inactivated: '2024-02-29', groups: [g2] });
  const m9 = await person(F, { status: 'member', joined: '2024-02-14', groups: [g2] });
  // ---- people with dates relative to today (the presets) ----
  const r1 = await person(F, { status: 'visitor', firstVisit: T, groups: [g1] });
  const r2 = await person(F, { status: 'regular', firstVisit: shift(T, -29) });
  const r3 = await person(F, { status: 'visitor', firstVisit: shift(T, -30) });
  const r4 = await person(F, { status: 'member', joined: shift(T, -89), firstVisit: shift(T, -200) });
  const r5 = await person(F, { status: 'member', joined: shift(T, -90) });
  const people = [m1, m2, m3, m4, m5, m6, m8, m9, r1, r2, r3, r4, r5];

  // ---- texts (local times in Auckland: NZDT +13 until 2024-04-07, NZST +12 after) ----
  // M1: 00:05 on the first day (11:05 UTC the day before): in
  await message(F, TZ, '2024-01-10 00:05', {
    segments: 2,
    cost: '0.0790',
    recipients: [['delivered', true], ['delivered', true], ['undelivered', true], ['failed', false], ['skipped', false], ['sent', true]],
  }, people);
  // M2: 23:55 the day before the period: out
  await message(F, TZ, '2024-01-09 23:55', { segments: 1, cost: '0.0079', recipients: [['delivered', true]] }, people);
  // M3: cancelled after one text went out: in, with its cancelled recipients
  await message(F, TZ, '2024-04-20 23:30', {
    segments: 1,
    cost: '0.0237',
    status: 'cancelled',
    recipients: [['delivered', true], ['cancelled', false], ['cancelled', false]],
  }, people);
  // M4: 00:10 the day after the period (12:10 UTC on its last day): out
  await message(F, TZ, '2024-04-21 00:10', { segments: 4, cost: '0.0316', recipients: [['delivered', true]] }, people);
  // M5: cancelled before anything was sent: not counted at all
  await message(F, TZ, '2024-03-01 12:00', {
    segments: 2,
    cost: '0.0158',
    status: 'cancelled',
    recipients: [['cancelled', false], ['cancelled', false], ['skipped', false]],
  }, people);
  // M6: still going: a failure reported by the provider, one queued, one being sent
  await message(F, TZ, '2024-02-01 09:00', {
    segments: 3,
    cost: '0.0474',
    status: 'sending',
    recipients: [['failed', true], ['queued', false], ['sending', false]],
  }, people);

  // ---- the other church: people, groups and texts on the very same dates ----
  const og = await group(O, 'Other group');
  const oh = await household(O, 'Other household');
  const os: number[] = [];
  for (const d of ['2024-01-10', '2024-02-14', '2024-03-03', '2024-04-20']) {
    os.push(await person(O, { status: 'member', joined: d, firstVisit: d, household: oh, groups: [og] }));
    os.push(await person(O, { status: 'inactive', joined: '2020-01-01', inactivated: d }));
    os.push(await person(O, { status: 'regular', firstVisit: T }));
  }
  await message(O, 'America/Chicago', '2024-02-02 12:00', {
    segments: 5,
    cost: '1.2345',
    recipients: [['delivered', true], ['failed', true], ['sent', true], ['skipped', false]],
  }, os);
  await message(O, 'America/Chicago', `${T} 00:01`, { segments: 1, cost: '0.5000', recipients: [['delivered', true]] }, os);
});
afterAll(() => s?.close());

describe('analytics on a hand-built church', () => {
  it('custom period: every number as worked out by hand', async () => {
    const a = await ok(F, CUSTOM);
    expect(a.churchId).toBe(String(F));
    expect(a.church).toEqual({ id: String(F), name: 'Fixture Church' });
    expect(a.period).toEqual({ preset: null, from: '2024-01-10', to: '2024-04-20', timeZone: TZ });
    // non-archived now: visitors m5 r1 r3; regulars m6 r2; members m1 m2 m4 m9 r4 r5; inactive m3 m8
    expect(a.membersByStatus).toEqual({ visitor: 3, regular: 2, member: 6, inactive: 2, total: 13 });
    // joined inside: m1 (first day), m3, m9; not m2 (day before), m4 (day after), the archived one
    expect(a.newMembers).toBe(3);
    // first visit inside: m6, m4, m5 (m1's was in 2023; the archived one's does not count)
    expect(a.firstTimeVisitors).toBe(3);
    // of those, m4 (MEMBER) and m6 (REGULAR) came back; m5 is still a visitor
    expect(a.returningVisitors).toBe(2);
    expect(a.monthly).toEqual([
      { month: '2024-01', joined: 1, inactivated: 0, netGrowth: 1 }, // m1
      { month: '2024-02', joined: 2, inactivated: 1, netGrowth: 1 }, // m9, m3; m8 inactivated on Feb 29
      { month: '2024-03', joined: 0, inactivated: 0, netGrowth: 0 }, // nothing
      { month: '2024-04', joined: 0, inactivated: 1, netGrowth: -1 }, // m3 inactivated on the last day; m4 joined a day later
    ]);
    // H1, H2 (its member is inactive but not archived), H3; not H4 (all archived) nor H5 (empty)
    expect(a.households).toBe(3);
    // active: 13 - 2 inactive = 11; in a group: m1, m6, m9, r1 (not the archived one, not the inactive m8)
    expect(a.groupParticipation).toEqual({ activeMembers: 11, inGroups: 4, share: 4 / 11 });
    expect(a.messaging).toEqual({
      messages: 3, // M1, M3 (went out before the cancel), M6
      recipients: 11, // M1 5 (not the skipped one) + M3 3 + M6 3
      textsSent: 6, // M1 4 (the failure without a sid never reached the provider) + M3 1 + M6 1
      delivered: 3, // M1 2 + M3 1
      failed: 3, // M1 undelivered + failed, M6 failed
      deliveryRate: 0.5, // 3 / (3 + 3)
      segments: 12, // M1 4 x 2 + M3 1 x 1 + M6 1 x 3
      estimatedCost: 0.1501, // 0.0790 + 0.0237 + 0.0474
    });
  });

  it('a period of one day reads that day in the church zone', async () => {
    // first day: m1 joined; M1 at 00:05 local (the day before in UTC)
    const first = await ok(F, { from: '2024-01-10', to: '2024-01-10' });
    expect(first.newMembers).toBe(1);
    expect(first.monthly).toEqual([{ month: '2024-01', joined: 1, inactivated: 0, netGrowth: 1 }]);
    expect(first.messaging).toMatchObject({ messages: 1, recipients: 5, textsSent: 4, segments: 8, estimatedCost: 0.079 });
    // the day after the period: m4 joined; M4 at 00:10 local (still the 20th in UTC)
    const after = await ok(F, { from: '2024-04-21', to: '2024-04-21' });
    expect(after.newMembers).toBe(1);
    expect(after.messaging).toMatchObject({ messages: 1, recipients: 1, textsSent: 1, delivered: 1, failed: 0, deliveryRate: 1, segments: 4 });
  });

  it('LAST_30_DAYS is the default: today and the 29 days before, in the church zone', async () => {
    for (const period of [undefined, null, {}, { preset: 'LAST_30_DAYS' }]) {
      const a = await ok(F, period);
      expect(a.period).toEqual({ preset: 'LAST_30_DAYS', from: shift(T, -29), to: T, timeZone: TZ });
      expect(a.newMembers).toBe(0);
      expect(a.firstTimeVisitors).toBe(2); // r1 (today), r2 (29 days ago); not r3 (30 days ago)
      expect(a.returningVisitors).toBe(1); // r2 is REGULAR
      expect(a.membersByStatus.total).toBe(13); // the status counts are "now", whatever the period
      // nothing sent: no rate rather than 0%
      expect(a.messaging).toEqual({ messages: 0, recipients: 0, textsSent: 0, delivered: 0, failed: 0, deliveryRate: null, segments: 0, estimatedCost: 0 });
      const months = a.monthly.map((m: { month: string }) => m.month);
      expect(months[0]).toBe(shift(T, -29).slice(0, 7));
      expect(months.at(-1)).toBe(T.slice(0, 7));
      expect(months.length).toBe(shift(T, -29).slice(0, 7) === T.slice(0, 7) ? 1 : 2);
    }
  });

  it('LAST_90_DAYS: today and the 89 days before', async () => {
    const a = await ok(F, { preset: 'LAST_90_DAYS' });
    expect(a.period).toMatchObject({ preset: 'LAST_90_DAYS', from: shift(T, -89), to: T });
    expect(a.newMembers).toBe(1); // r4 (89 days ago); not r5 (90)
    expect(a.firstTimeVisitors).toBe(3); // r1, r2, r3; r4's first visit was 200 days ago
    expect(a.returningVisitors).toBe(1); // r2
    expect(a.monthly.reduce((n: number, m: { joined: number }) => n + m.joined, 0)).toBe(1);
  });

  it('LAST_12_MONTHS starts on the first of the month 11 months ago; YEAR_TO_DATE on January 1', async () => {
    const [y, m] = T.split('-').map(Number) as [number, number];
    const back = new Date(Date.UTC(y, m - 1 - 11, 1));
    const from12 = `${back.getUTCFullYear()}-${String(back.getUTCMonth() + 1).padStart(2, '0')}-01`;
    // one church per preset, with a person on the first day and one the day before
    const c12 = (await seedChurch(s, { members: 0, name: 'Twelve Months', timeZone: TZ })).churchId;
    await person(c12, { status: 'member', joined: from12 });
    await person(c12, { status: 'member', joined: shift(from12, -1) });
    const a = await ok(c12, { preset: 'LAST_12_MONTHS' });
    expect(a.period).toMatchObject({ preset: 'LAST_12_MONTHS', from: from12, to: T });
    expect(a.newMembers).toBe(1);
    expect(a.monthly).toHaveLength(12);
    expect(a.monthly[0]).toEqual({ month: from12.slice(0, 7), joined: 1, inactivated: 0, netGrowth: 1 });
    expect(a.monthly.at(-1).month).toBe(T.slice(0, 7));

    const ytd = (await seedChurch(s, { members: 0, name: 'Year To Date', timeZone: TZ })).churchId;
    await person(ytd, { status: 'member', joined: `${y}-01-01` });
    await person(ytd, { status: 'inactive', joined: `${y - 1}-06-01`, inactivated: `${y - 1}-12-31` });
    const b = await ok(ytd, { preset: 'YEAR_TO_DATE' });
    expect(b.period).toMatchObject({ preset: 'YEAR_TO_DATE', from: `${y}-01-01`, to: T });
    expect(b.newMembers).toBe(1);
    expect(b.monthly).toHaveLength(m);
    expect(b.monthly[0]).toEqual({ month: `${y}-01`, joined: 1, inactivated: 0, netGrowth: 1 });
    expect(b.monthly.reduce((n: number, x: { inactivated: number }) => n + x.inactivated, 0)).toBe(0);
  });

  it('another church’s data is never counted (and its own numbers are its own)', async () => {
    // F's numbers above already exclude O; here O, with everything on F's dates, sees only itself
    const o = await ok(O, { from: '2024-01-10', to: '2024-04-20' });
    // seedChurch's 10 people (2 each of member, regular, visitor, member, inactive) + 12 added here
    expect(o.membersByStatus).toEqual({ visitor: 2, regular: 2 + 4, member: 4 + 4, inactive: 2 + 4, total: 22 });
    expect(o.newMembers).toBe(4);
    // each month: one joined and one inactivated
    expect(o.monthly.map((m: { joined: number; inactivated: number; netGrowth: number }) => [m.joined, m.inactivated, m.netGrowth])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [1, 1, 0],
      [1, 1, 0],
    ]);
    expect(o.messaging).toEqual({ messages: 1, recipients: 3, textsSent: 3, delivered: 1, failed: 1, deliveryRate: 0.5, segments: 15, estimatedCost: 1.2345 });
    const f = await ok(F, CUSTOM);
    expect(f.membersByStatus.total).toBe(13);
    expect(f.messaging.estimatedCost).toBe(0.1501);
  });

  it('a period spanning 5 years is allowed and lists every month', async () => {
    const a = await ok(F, { from: '2020-01-01', to: '2025-01-01' });
    expect(a.monthly).toHaveLength(61);
    expect(a.monthly[0].month).toBe('2020-01');
    expect(a.monthly.at(-1).month).toBe('2025-01');
    // every join and inactivation of non-archived people in 2023-2024: m1 m2 m3 m4 m9 m8, m3 m8 inactivated
    expect(a.monthly.reduce((n: number, m: { joined: number }) => n + m.joined, 0)).toBe(6);
    expect(a.monthly.reduce((n: number, m: { inactivated: number }) => n + m.inactivated, 0)).toBe(2);
  });
});

describe('bad periods', () => {
  it('answer BAD_USER_INPUT naming the field', async () => {
    expectBadInput(await analytics(F, { preset: 'LAST_90_DAYS', from: '2024-01-01', to: '2024-02-01' }), 'period');
    expectBadInput(await analytics(F, { preset: 'LAST_90_DAYS', to: '2024-02-01' }), 'period');
    expectBadInput(await analytics(F, { from: '2024-01-01' }), 'period.to');
    expectBadInput(await analytics(F, { to: '2024-01-01' }), 'period.from');
    expectBadInput(await analytics(F, { from: '2024-02-02', to: '2024-02-01' }), 'period.to');
    expectBadInput(await analytics(F, { from: '2020-01-01', to: '2025-01-02' }), 'period');
    expectBadInput(await analytics(F, { from: '1800-01-01', to: '1801-01-01' }), 'period.from');
    // not a date at all: refused by the LocalDate scalar before the resolver runs
    const literal = await s.gql<any>(`{ analytics(churchId: "${F}", period: { from: "2024-02-30", to: "2024-03-01" }) { newMembers } }`);
    expect(literal.errors?.[0]?.message).toMatch(/not a valid LocalDate/);
    expect(literal.data ?? null).toBeNull();
    const variable = await analytics(F, { from: '2024-02-30', to: '2024-03-01' });
    expect(variable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(variable.errors?.[0]?.message).toMatch(/period\.from|LocalDate/);
    expect(variable.data ?? null).toBeNull();
  });
});

describe('who may ask', () => {
  it('a VIEWER of the church may; a user of another church gets NOT_FOUND; anonymous UNAUTHENTICATED', async () => {
    const viewer = await s.userWith('viewer@fixture.test', [[F, 'viewer']]);
    const r = await analytics(F, CUSTOM, viewer.headers);
    expect(r.errors).toBeUndefined();
    expect(r.data.analytics.membersByStatus.total).toBe(13);

    const outsider = await s.userWith('admin@other.test', [[O, 'admin']]);
    const no = await analytics(F, CUSTOM, outsider.headers);
    expect(no.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'churchId' });
    expect(no.data ?? null).toBeNull();
    // the same answer as for a church that does not exist
    const ghost = await analytics(987_654, CUSTOM, outsider.headers);
    expect(ghost.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'churchId' });
    expect(ghost.errors![0]!.message.replace(/\d+/g, '#')).toBe(no.errors![0]!.message.replace(/\d+/g, '#'));

    const anon = await analytics(F, CUSTOM, {});
    expect(anon.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anon.data ?? null).toBeNull();
    // authentication comes before input checks: a bad period does not tell an anonymous caller more
    const anonBad = await analytics(F, { from: '2024-02-02' }, {});
    expect(anonBad.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('EXPLAIN on seeded data', () => {
  let sql: postgres.Sql;
  let churchId: number;

  beforeAll(async () => {
    sql = postgres(s.config.db.url!, { max: 1, onnotice: () => {} });
    await seedSynthetic(sql, { churches: 20, membersPerChurch: 1000, seed: 11, asOf: '2026-01-01' });
    await s.grantAll();
    const [c] = await sql<[{ id: number }]>`SELECT id FROM churches WHERE slug LIKE 'synthetic-11-%' ORDER BY id LIMIT 1 OFFSET 10`;
    churchId = c.id;
    // texts for every church: 30 messages of 200 recipients each, most handed to the provider
    await sql`
      INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number)
      SELECT c.id, 'seeded', '{}'::jsonb, 'completed', timestamptz '2025-01-01 18:00Z' + i * interval '12 days', 'gsm7', 1 + i % 3, 200, 0, 1.58, '+18335550100'
      FROM churches c CROSS JOIN generate_series(1, 30) i WHERE c.slug LIKE 'synthetic-11-%'`;
    await sql`
      INSERT INTO message_recipients (church_id, message_id, member_id, phone, created_at, status, provider_sid)
      SELECT m.church_id, m.id, p.id, p.phone, m.created_at,
             (ARRAY['delivered','delivered','delivered','sent','undelivered','failed','skipped']::recipient_status[])[1 + (p.id + m.id) % 7],
             CASE WHEN (p.id + m.id) % 7 < 6 THEN 'SMseed' || m.id || '_' || p.id END
      FROM messages m
      JOIN churches c ON c.id = m.church_id AND c.slug LIKE 'synthetic-11-%'
      CROSS JOIN LATERAL (SELECT id, phone FROM members WHERE church_id = m.church_id ORDER BY id LIMIT 200 OFFSET m.id % 20) p`;
    await sql`SET default_statistics_target = 1000`;
    await sql`VACUUM ANALYZE members`;
    await sql`VACUUM ANALYZE group_memberships`;
    await sql`VACUUM ANALYZE messages`;
    await sql`VACUUM ANALYZE message_recipients`;
  }, 120_000);
  afterAll(() => sql?.end());

  /** Runs analytics, then EXPLAIN ANALYZEs the captured statement matching `marker`. */
  async function planOf(marker: RegExp, period: Record<string, unknown>) {
    s.database.statements.reset();
    const r = await analytics(churchId, period);
    expect(r.errors).toBeUndefined();
    const stmt = s.database.statements.recent.find((q) => marker.test(q.query));
    expect(stmt, 'statement not captured').toBeDefined();
    const rows = await sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]);
    return { plan: JSON.stringify(rows[0]!['QUERY PLAN']), data: r.data.analytics };
  }


  it('the member pass is an index-only scan of members_analytics_idx with no heap fetches', async () => {
    const { plan, data } = await planOf(/count\(DISTINCT m\.household_id\)/, { preset: 'LAST_12_MONTHS' });
    expect(data.membersByStatus.total).toBeGreaterThan(900);
    const members = scansOf(plan, 'members');
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ 'Node Type': 'Index Only Scan', 'Index Name': 'members_analytics_idx', 'Heap Fetches': 0 });
    // the church's memberships in one range scan, not a probe per member (132,000 buffers at 50,000 people)
    const gm = scansOf(plan, 'group_memberships');
    expect(gm).toHaveLength(1);
    expect(gm[0]).toMatchObject({ 'Node Type': 'Index Only Scan', 'Index Name': 'group_memberships_church_member_idx', 'Actual Loops': 1 });
    expect(plan).not.toContain('Seq Scan');
  });

  it('people by status alone is an index-only scan of members_analytics_idx', async () => {
    s.database.statements.reset();
    const r = await s.gql<any>(`query S($c: ID!) { analytics(churchId: $c) { membersByStatus { total } } }`, { c: String(churchId) });
    expect(r.errors).toBeUndefined();
    const stmt = s.database.statements.recent.find((q) => /GROUP BY m\.status/.test(q.query));
    expect(stmt, 'statement not captured').toBeDefined();
    const rows = await sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]);
    const plan = JSON.stringify(rows[0]!['QUERY PLAN']);
    const members = scansOf(plan, 'members');
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ 'Node Type': 'Index Only Scan', 'Heap Fetches': 0 });
    expect(plan).not.toContain('Seq Scan');
  });

  it('the monthly series reads the same index, index-only', async () => {
    const { plan, data } = await planOf(/generate_series/, { from: '2025-01-01', to: '2025-12-31' });
    expect(data.monthly).toHaveLength(12);
    const members = scansOf(plan, 'members');
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ 'Node Type': 'Index Only Scan', 'Index Name': 'members_analytics_idx', 'Heap Fetches': 0 });
  });

  it('messaging counts recipients by index-only scans, texts sent from message_recipients_sent_idx', async () => {
    const { plan, data } = await planOf(/FROM messages m/, { from: '2025-01-01', to: '2025-03-31' });
    expect(data.messaging.messages).toBeGreaterThan(0);
    expect(data.messaging.textsSent).toBeGreaterThan(0);
    const scans = scansOf(plan, 'message_recipients');
    // each message's own month only: the other months' partitions are pruned per message at run
    // time (never executed), the one holding the rows is read by these two indexes
    const recipients = scans.filter((n) => Number(n['Actual Loops']) > 0);
    expect(new Set(recipients.map((n) => n['Relation Name'])).size).toBe(1);
    expect(scans.length).toBeGreaterThan(recipients.length);
    expect([...new Set(recipients.map((n) => parentName(n['Index Name'])))].sort()).toEqual(['message_recipients_message_status_idx', 'message_recipients_sent_idx']);
    for (const n of recipients) expect(n).toMatchObject({ 'Node Type': 'Index Only Scan', 'Heap Fetches': 0 });
    // an Index Scan names its index; a Bitmap Heap Scan's Bitmap Index Scan child does
    const messages = scansOf(plan, 'messages');
    const indexes = messages.flatMap((n) => [n, ...((n.Plans as Array<Record<string, unknown>>) ?? [])].map((x) => x['Index Name']).filter(Boolean));
    expect(indexes).toEqual(['messages_church_send_at_idx']);
  });
});

describe('only what is asked is computed', () => {
  const STATUS = `query S($c: ID!) { analytics(churchId: $c) { membersByStatus { visitor regular member inactive total } } }`;
  const VISITORS = `query V($c: ID!) { analytics(churchId: $c) { membersByStatus { total } firstTimeVisitors } }`;

  it('people by status alone is one statement, for a viewer with a role and through the cache off', async () => {
    const staff = await s.userWith('cost-staff@fixture.test', [[F, 'staff']]);
    s.database.statements.reset();
    const r = await s.gql<any>(STATUS, { c: String(F) }, staff.headers);
    expect(r.errors).toBeUndefined();
    // the first time for this viewer's access: a miss, executed
    expect(r.data.analytics.membersByStatus.total).toBe(13);
    expect(s.database.statements.count).toBe(1);
    expect(s.database.statements.recent[0]!.query).toMatch(/GROUP BY m\.status/);
  });

  it('the whole dashboard runs no more statements than before the parts were split (church, people, months, messaging)', async () => {
    // a period no earlier test asked for: a cache miss, so the statements are counted
    s.database.statements.reset();
    const full = await ok(F, { from: '2024-01-11', to: '2024-04-19' });
    expect(full.membersByStatus.total).toBe(13);
    expect(s.database.statements.count).toBe(4);
    // status counts asked with another people figure come from the one people pass
    s.database.statements.reset();
    const both = await s.gql<any>(VISITORS, { c: String(F) }, (await s.userWith('cost-viewer@fixture.test', [[F, 'viewer']])).headers);
    expect(both.errors).toBeUndefined();
    expect(both.data.analytics.membersByStatus.total).toBe(13);
    expect(s.database.statements.recent.filter((q) => /FROM members m/.test(q.query))).toHaveLength(1);
  });
});
