import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFloating, parseLocal, toFloating } from '../src/modules/event/recurrence.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let c: SeededChurch;
let other: SeededChurch;
let sql: postgres.Sql;
const TZ = 'America/Chicago';
const DAY = 86_400_000;

const localOf = (iso: string) => toFloating(new Date(iso), TZ).toISOString().slice(0, 16);

async function createEvent(input: Record<string, unknown>) {
  const r = await s.gql<any>('mutation($input: CreateEventInput!) { createEvent(input: $input) { id timeZone startsLocal rrule } }', {
    input: { churchId: String(c.churchId), ...input },
  });
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.createEvent.id as string;
}

async function occurrences(eventId: string, from: string, to: string, includeCancelled = false) {
  const r = await s.gql<any>(
    'query($id: ID!, $from: DateTime!, $to: DateTime!, $all: Boolean) { event(id: $id) { occurrences(from: $from, to: $to, includeCancelled: $all) { id startsAt endsAt cancelled moved checkedInCount attendance headcount } } }',
    { id: eventId, from, to, all: includeCancelled },
  );
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.event.occurrences as Array<{ id: string; startsAt: string; endsAt: string; cancelled: boolean; moved: boolean; checkedInCount: number; attendance: number; headcount: number }>;
}

/** The instant of a local wall time `days` days before today, in the church's zone. */
function daysAgoAt(days: number, hhmm: string): Date {
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(Date.now() - days * DAY));
  return fromFloating(parseLocal(`${date}T${hhmm}`)!, TZ);
}
const occId = (eventId: string | number, at: Date) => `${eventId}@${at.toISOString().replace('.000Z', 'Z')}`;

beforeAll(async () => {
  s = await startTestServer('attendance');
  sql = postgres(s.config.db.url!, { max: 1, onnotice: () => {} });
  c = await seedChurch(s, { members: 20, timeZone: TZ });
  other = await seedChurch(s, { members: 4 });
});
afterAll(async () => {
  await sql?.end();
  await s?.close();
});

describe('occurrences', () => {
  it('a weekly event keeps its local time across the DST changes (fall back and spring forward)', async () => {
    const id = await createEvent({ name: 'Sunday Worship', startsLocal: '2026-10-04T10:00', rrule: 'FREQ=WEEKLY;BYDAY=SU', durationMinutes: 90 });
    const fall = await occurrences(id, '2026-10-18T00:00:00Z', '2026-11-16T00:00:00Z');
    expect(fall.map((o) => o.startsAt)).toEqual([
      '2026-10-18T15:00:00.000Z', // CDT (UTC-5)
      '2026-10-25T15:00:00.000Z',
      '2026-11-01T16:00:00.000Z', // CST (UTC-6) from 1 November
      '2026-11-08T16:00:00.000Z',
      '2026-11-15T16:00:00.000Z',
    ]);
    expect(new Set(fall.map((o) => localOf(o.startsAt).slice(11)))).toEqual(new Set(['10:00']));
    expect(fall.map((o) => Date.parse(o.endsAt) - Date.parse(o.startsAt))).toEqual(fall.map(() => 90 * 60_000));
    const spring = await occurrences(id, '2027-03-01T00:00:00Z', '2027-03-22T00:00:00Z');
    expect(spring.map((o) => localOf(o.startsAt))).toEqual(['2027-03-07T10:00', '2027-03-14T10:00', '2027-03-21T10:00']);
    expect(spring[1]!.startsAt).toBe('2027-03-14T15:00:00.000Z');
    // a time that does not exist on the change day moves forward, as calendars do
    expect(fromFloating(parseLocal('2026-03-08T02:30')!, TZ).toISOString()).toBe('2026-03-08T08:30:00.000Z');
    // and one that happens twice is the first
    expect(fromFloating(parseLocal('2026-11-01T01:30')!, TZ).toISOString()).toBe('2026-11-01T06:30:00.000Z');
  });

  it('windows are bounded, rules checked, ids exact', async () => {
    const id = await createEvent({ name: 'Daily Prayer', startsLocal: '2026-01-01T07:00', rrule: 'FREQ=DAILY' });
    const long = await s.gql<any>('query($id: ID!) { event(id: $id) { occurrences(from: "2026-01-01T00:00:00Z", to: "2027-06-01T00:00:00Z") { id } } }', { id });
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    for (const [rrule, field] of [['FREQ=HOURLY', 'input.rrule'], ['FREQ=WEEKLY;BYDAY=XX', 'input.rrule'], ['DTSTART:20260101T000000Z\nFREQ=DAILY', 'input.rrule']]) {
      const r = await s.gql<any>('mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }', {
        input: { churchId: String(c.churchId), name: 'Bad', startsLocal: '2026-01-01T07:00', rrule },
      });
      expect(r.errors?.[0]?.extensions, rrule).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const badStart = await s.gql<any>('mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }', {
      input: { churchId: String(c.churchId), name: 'Bad', startsLocal: '2026-02-30T07:00' },
    });
    expect(badStart.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.startsLocal' });
    // a start the rule does not give is not an occurrence
    const off = await s.gql<any>('query($id: ID!) { occurrence(id: $id) { id } }', { id: `${id}@2026-01-02T14:00:00Z` });
    expect(off.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    const bad = await s.gql<any>('query($id: ID!) { occurrence(id: $id) { id } }', { id: 'not-an-id' });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const ok = await s.gql<any>('query($id: ID!) { occurrence(id: $id) { id startsAt } }', { id: `${id}@2026-01-02T13:00:00Z` });
    expect(ok.data.occurrence.startsAt).toBe('2026-01-02T13:00:00.000Z');
  });

  it('a cancelled occurrence is gone (and back when restored); a moved one keeps its id at its new time', async () => {
    const id = await createEvent({ name: 'Choir', startsLocal: '2026-09-02T19:00', rrule: 'FREQ=WEEKLY;BYDAY=WE' });
    const before = await occurrences(id, '2026-09-01T00:00:00Z', '2026-10-01T06:00:00Z');
    expect(before).toHaveLength(5);
    const target = before[2]!;
    const cancelled = await s.gql<any>('mutation($id: ID!) { cancelOccurrence(id: $id) { id cancelled } }', { id: target.id });
    expect(cancelled.data.cancelOccurrence).toEqual({ id: target.id, cancelled: true });
    const after = await occurrences(id, '2026-09-01T00:00:00Z', '2026-10-01T06:00:00Z');
    expect(after.map((o) => o.id)).toEqual(before.filter((o) => o.id !== target.id).map((o) => o.id));
    const all = await occurrences(id, '2026-09-01T00:00:00Z', '2026-10-01T06:00:00Z', true);
    expect(all.find((o) => o.id === target.id)?.cancelled).toBe(true);
    await s.gql('mutation($id: ID!) { restoreOccurrence(id: $id) { id } }', { id: target.id });
    expect(await occurrences(id, '2026-09-01T00:00:00Z', '2026-10-01T06:00:00Z')).toHaveLength(5);

    // moved into October: out of September's window, into October's, same id
    const moved = await s.gql<any>('mutation($id: ID!) { moveOccurrence(id: $id, startsAt: "2026-10-03T15:00:00Z") { id startsAt endsAt moved } }', { id: before[4]!.id });
    expect(moved.data.moveOccurrence).toMatchObject({ id: before[4]!.id, startsAt: '2026-10-03T15:00:00.000Z', endsAt: '2026-10-03T16:00:00.000Z', moved: true });
    expect((await occurrences(id, '2026-09-01T00:00:00Z', '2026-10-01T06:00:00Z')).map((o) => o.id)).not.toContain(before[4]!.id);
    const oct = await occurrences(id, '2026-10-01T06:00:00Z', '2026-10-08T00:00:00Z');
    expect(oct).toHaveLength(1);
    expect(oct.map((o) => o.id)).toContain(before[4]!.id);
    const exceptions = await sql`SELECT count(*)::int AS n FROM event_occurrences WHERE event_id = ${Number(id)}`;
    expect(exceptions[0]!.n).toBe(2);
  });
});

describe('a page of events', () => {
  it('costs the same statements for 2 events as for 8 (occurrences, exceptions and counts are batched)', async () => {
    const q = `query($c: ID!) { events(churchId: $c, first: 20) { nodes { id nextOccurrence { id } occurrences { id checkedInCount attendance } } } }`;
    const counts: number[] = [];
    for (const n of [2, 8]) {
      const ch = await seedChurch(s, { members: 2, timeZone: TZ });
      await sql`
        INSERT INTO events (church_id, name, time_zone, starts_local, duration_minutes, rrule)
        SELECT ${ch.churchId}, 'Series ' || i, ${TZ}, '2026-01-0' || (1 + i % 7) || 'T09:00', 60, 'FREQ=WEEKLY'
        FROM generate_series(1, ${n}) AS i`;
      s.database.statements.reset();
      const r = await s.gql<any>(q, { c: String(ch.churchId) });
      expect(r.errors).toBeUndefined();
      expect(r.data.events.nodes).toHaveLength(n);
      expect(r.data.events.nodes.every((e: { nextOccurrence: unknown; occurrences: unknown[] }) => e.nextOccurrence && e.occurrences.length >= 7)).toBe(true);
      counts.push(s.database.statements.count);
    }
    expect(counts[1]).toBe(counts[0]);
    expect(counts[0]).toBeLessThanOrEqual(6);
  });
});

describe('check-ins', () => {
  let eventId: string;
  let occ: string;

  beforeAll(async () => {
    eventId = await createEvent({ name: 'Evening Service', startsLocal: '2026-01-01T18:00', rrule: 'FREQ=DAILY' });
    occ = occId(eventId, daysAgoAt(1, '18:00'));
  });

  it('twice is once; undo takes it back', async () => {
    const m = String(c.memberIds[0]);
    const q = 'mutation($o: ID!, $m: [ID!]!) { checkIn(occurrenceId: $o, memberIds: $m) { occurrenceId checkedIn alreadyCheckedIn people { id firstName } } }';
    s.database.statements.reset();
    const first = await s.gql<any>(q, { o: occ, m: [m] });
    expect(first.errors).toBeUndefined();
    expect(first.data.checkIn).toMatchObject({ occurrenceId: occ, checkedIn: 1, alreadyCheckedIn: 0 });
    // what a door sends at a burst: the occurrence (event and exception), then the people read and
    // written in one statement
    expect(s.database.statements.count).toBe(2);
    const second = await s.gql<any>(q, { o: occ, m: [m, m] });
    expect(second.data.checkIn).toMatchObject({ checkedIn: 0, alreadyCheckedIn: 1 });
    const [{ n }] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM check_ins WHERE event_id = ${Number(eventId)}`;
    expect(n).toBe(1);
    const count = await s.gql<any>('query($id: ID!) { occurrence(id: $id) { checkedInCount attendance checkIns { totalCount nodes { id } } } }', { id: occ });
    expect(count.data.occurrence).toEqual({ checkedInCount: 1, attendance: 1, checkIns: { totalCount: 1, nodes: [{ id: m }] } });
    const undo = await s.gql<any>('mutation($o: ID!, $m: ID!) { undoCheckIn(occurrenceId: $o, memberId: $m) { removed } }', { o: occ, m });
    expect(undo.data.undoCheckIn.removed).toBe(true);
    const again = await s.gql<any>('mutation($o: ID!, $m: ID!) { undoCheckIn(occurrenceId: $o, memberId: $m) { removed } }', { o: occ, m });
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('a household check-in checks in each of its members', async () => {
    const hh = c.householdIds[3]!;
    const people = await sql<{ id: number }[]>`SELECT id FROM members WHERE household_id = ${hh} ORDER BY id`;
    expect(people.length).toBe(2);
    const r = await s.gql<any>('mutation($o: ID!, $h: ID!) { checkInHousehold(occurrenceId: $o, householdId: $h) { checkedIn people { id householdId } } }', { o: occ, h: String(hh) });
    expect(r.errors).toBeUndefined();
    expect(r.data.checkInHousehold.checkedIn).toBe(2);
    const rows = await sql<{ member_id: number }[]>`SELECT member_id FROM check_ins WHERE event_id = ${Number(eventId)} ORDER BY member_id`;
    expect(rows.map((x) => x.member_id)).toEqual(people.map((p) => p.id));
  });

  it('a check-in token works while its maker is STAFF or higher in its church, and is recorded as KIOSK', async () => {
    const maker = await s.userWith('door-admin@attendance.test', [[c.churchId, 'admin']]);
    const made = await s.gql<any>('mutation($c: ID!) { createApiToken(input: { name: "Door", kind: CHECK_IN, churchId: $c }) { token } }', { c: String(c.churchId) }, maker.headers);
    expect(made.errors).toBeUndefined();
    const kiosk = { authorization: `Bearer ${made.data.createApiToken.token}` };
    const m = String(c.memberIds[5]);
    const r = await s.gql<any>('mutation($o: ID!, $m: [ID!]!) { checkIn(occurrenceId: $o, memberIds: $m) { checkedIn } }', { o: occ, m: [m] }, kiosk);
    expect(r.errors).toBeUndefined();
    const [row] = await sql<[{ via: string; checked_in_by: number }]>`SELECT via, checked_in_by FROM check_ins WHERE event_id = ${Number(eventId)} AND member_id = ${Number(m)}`;
    expect(row).toEqual({ via: 'kiosk', checked_in_by: maker.id });
    const full = await s.gql<any>('mutation { createApiToken(input: { name: "Bad", churchId: "1" }) { token } }', {}, maker.headers);
    expect(full.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.churchId' });
    await sql`UPDATE church_roles SET role = 'viewer' WHERE user_id = ${maker.id} AND church_id = ${c.churchId}`;
    const after = await s.gql<any>('query($c: ID!) { checkInSearch(churchId: $c, search: "ada") { id } }', { c: String(c.churchId) }, kiosk);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a cancelled or far-future occurrence, another church’s people, archived people', async () => {
    const q = 'mutation($o: ID!, $m: [ID!]!) { checkIn(occurrenceId: $o, memberIds: $m) { checkedIn } }';
    const future = await s.gql<any>(q, { o: occId(eventId, daysAgoAt(-3, '18:00')), m: [String(c.memberIds[1])] });
    expect(future.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'occurrenceId' });
    const foreign = await s.gql<any>(q, { o: occ, m: [String(other.memberIds[0])] });
    expect(foreign.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'memberIds' });
    const cancelled = occId(eventId, daysAgoAt(2, '18:00'));
    await s.gql('mutation($id: ID!) { cancelOccurrence(id: $id) { id } }', { id: cancelled });
    const r = await s.gql<any>(q, { o: cancelled, m: [String(c.memberIds[1])] });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'occurrenceId' });
    await sql`UPDATE members SET archived_at = now() WHERE id = ${c.memberIds[19]!}`;
    const arch = await s.gql<any>(q, { o: occ, m: [String(c.memberIds[19])] });
    expect(arch.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    // a family with one refused person writes nobody (the read and the write are one statement)
    const before = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM check_ins WHERE event_id = ${Number(eventId)}`;
    const mixedArchived = await s.gql<any>(q, { o: occ, m: [String(c.memberIds[18]), String(c.memberIds[19])] });
    expect(mixedArchived.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    const mixedForeign = await s.gql<any>(q, { o: occ, m: [String(c.memberIds[18]), String(other.memberIds[0])] });
    expect(mixedForeign.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'memberIds' });
    const after = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM check_ins WHERE event_id = ${Number(eventId)}`;
    expect(after[0].n).toBe(before[0].n);
    await sql`UPDATE members SET archived_at = NULL WHERE id = ${c.memberIds[19]!}`;
    // and a cancel of an occurrence with check-ins is refused
    const busy = await s.gql<any>('mutation($id: ID!) { cancelOccurrence(id: $id) { id } }', { id: occ });
    expect(busy.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('bulk entry: all or nothing with per-row errors, then a whole service in one statement', async () => {
    const bulkOcc = occId(eventId, daysAgoAt(3, '18:00'));
    const q = 'mutation($o: ID!, $m: [ID!]!, $h: Int) { recordAttendance(occurrenceId: $o, memberIds: $m, headcount: $h) { recorded alreadyCheckedIn headcount errors { row field message } } }';
    const bad = await s.gql<any>(q, { o: bulkOcc, m: [String(c.memberIds[0]), 'x', String(other.memberIds[0]), String(c.memberIds[0])], h: 4 });
    expect(bad.errors).toBeUndefined();
    expect(bad.data.recordAttendance.recorded).toBe(0);
    expect(bad.data.recordAttendance.errors.map((e: { row: number }) => e.row)).toEqual([2, 3, 4]);
    const [{ n: none }] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM check_ins WHERE event_id = ${Number(eventId)} AND occurrence_start = ${daysAgoAt(3, '18:00').toISOString()}`;
    expect(none).toBe(0);
    const tooMany = await s.gql<any>(q, { o: bulkOcc, m: Array.from({ length: 5001 }, (_, i) => String(i + 1)) });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberIds' });
    s.database.statements.reset();
    const ok = await s.gql<any>(q, { o: bulkOcc, m: c.memberIds.map(String), h: 7 });
    expect(ok.data.recordAttendance).toEqual({ recorded: 20, alreadyCheckedIn: 0, headcount: 7, errors: [] });
    expect(s.database.statements.recent.filter((x) => /INSERT INTO check_ins/.test(x.query))).toHaveLength(1);
    const o = await s.gql<any>('query($id: ID!) { occurrence(id: $id) { checkedInCount headcount attendance } }', { id: bulkOcc });
    expect(o.data.occurrence).toEqual({ checkedInCount: 20, headcount: 7, attendance: 27 });
  });
});

describe('the lapsed list, the attendance report, their cache and their indexes', () => {
  let l: SeededChurch;
  let eventId: string;
  const at = (days: number) => daysAgoAt(days, '09:00');

  beforeAll(async () => {
    l = await seedChurch(s, { members: 10, timeZone: TZ });
    // statuses by index: 0 member, 1 regular, 2 visitor, 3 member, 4 inactive, 5 member, 6 regular, 7 visitor, 8 member, 9 inactive
    const [e] = await sql<[{ id: number }]>`
      INSERT INTO events (church_id, name, time_zone, starts_local, duration_minutes, rrule)
      VALUES (${l.churchId}, 'Morning Prayer', ${TZ}, '2026-01-01T09:00', 60, 'FREQ=DAILY') RETURNING id`;
    eventId = String(e.id);
    const history: Array<[number, number[]]> = [
      [0, [30, 37, 44]], // lapsed: 3 in the earlier 8 weeks, none in the last 4
      [1, [10, 30, 37, 44]], // came 10 days ago
      [2, [30, 37, 44]], // a visitor, not a regular or member
      [3, [30, 37]], // only twice
      [4, [30, 37, 44]], // inactive
      [5, [30, 37, 90]], // the third is before the earlier window
      [6, [29, 50, 80]], // lapsed
      [8, [30, 37, 44]], // archived below
    ];
    const rows = history.flatMap(([i, days]) => days.map((d) => ({ m: l.memberIds[i]!, t: at(d).toISOString() })));
    await sql`
      INSERT INTO check_ins (church_id, event_id, occurrence_start, member_id, via)
      SELECT ${l.churchId}, ${e.id}, x.t::timestamptz, x.m, 'bulk'
      FROM jsonb_to_recordset(${sql.json(rows)}) AS x(m int, t text)`;
    await sql`INSERT INTO event_occurrences (church_id, event_id, original_start, headcount) VALUES (${l.churchId}, ${e.id}, ${at(30).toISOString()}, 5)`;
    await sql`UPDATE members SET archived_at = now() WHERE id = ${l.memberIds[8]!}`;
    await sql`UPDATE churches SET sms_from_number = '+13125550142' WHERE id = ${l.churchId}`;
  });

  it('matches the hand-computed list, and texting it reaches exactly those people', async () => {
    const r = await s.gql<any>(
      'query($c: ID!) { lapsedPeople(churchId: $c, rule: { minAttendances: 3, previousWeeks: 8, absentWeeks: 4 }) { totalCount edges { attended lastAttendedAt node { id } } } }',
      { c: String(l.churchId) },
    );
    expect(r.errors).toBeUndefined();
    const expected = [l.memberIds[0]!, l.memberIds[6]!];
    expect(r.data.lapsedPeople.edges.map((e: { node: { id: string } }) => Number(e.node.id)).sort()).toEqual([...expected].sort());
    expect(r.data.lapsedPeople.totalCount).toBe(2);
    const m6 = r.data.lapsedPeople.edges.find((e: { node: { id: string } }) => Number(e.node.id) === l.memberIds[6]);
    expect(m6).toMatchObject({ attended: 3, lastAttendedAt: at(29).toISOString() });
    // one series only: the same here; a series with no check-ins: nobody
    const other = await createEvent({ name: 'Other', startsLocal: '2026-01-01T09:00', rrule: 'FREQ=DAILY' });
    const none = await s.gql<any>('query($c: ID!, $e: ID!) { lapsedPeople(churchId: $c, rule: { eventId: $e }) { totalCount } }', { c: String(l.churchId), e: other });
    expect(none.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'rule.eventId' }); // that event is another church's
    const bad = await s.gql<any>('query($c: ID!) { lapsedPeople(churchId: $c, rule: { absentWeeks: 0 }) { totalCount } }', { c: String(l.churchId) });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rule.absentWeeks' });

    const sent = await s.gql<any>(
      'mutation($c: ID!) { sendMessage(churchId: $c, body: "We miss you!", audience: { lapsed: { minAttendances: 3, previousWeeks: 8, absentWeeks: 4 } }, urgent: true) { id recipientCount } }',
      { c: String(l.churchId) },
    );
    expect(sent.errors).toBeUndefined();
    const recipients = await sql<{ member_id: number }[]>`SELECT member_id FROM message_recipients WHERE message_id = ${Number(sent.data.sendMessage.id)} ORDER BY member_id`;
    expect(recipients.map((x) => x.member_id)).toEqual([...expected].sort((a, b) => a - b));
    const shown = await s.gql<any>('query($id: ID!) { message(id: $id) { audience { lapsed { eventId minAttendances previousFrom absentFrom } } } }', { id: sent.data.sendMessage.id });
    expect(shown.data.message.audience.lapsed).toMatchObject({ eventId: null, minAttendances: 3 });
    expect(Date.parse(shown.data.message.audience.lapsed.absentFrom) - Date.parse(shown.data.message.audience.lapsed.previousFrom)).toBe(8 * 7 * DAY);
  });

  it('reports the series per week, with first-time and returning guests; a check-in drops the cached figures', async () => {
    const from = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(Date.now() - 60 * DAY));
    const q = `query($c: ID!, $e: ID!, $from: LocalDate) { attendance(churchId: $c, eventId: $e, from: $from) {
      occurrences totalAttendance averageAttendance firstTimeGuests returningGuests weeks { weekStart occurrences checkedIn headcount total } } }`;
    const vars = { c: String(l.churchId), e: eventId, from };
    const r = await s.gql<any>(q, vars);
    expect(r.errors).toBeUndefined();
    const a = r.data.attendance;
    // check-ins from 60 days ago on: 3+4+3+2+3+2+2+3 = 22, and the headcount of 5
    expect(a.totalAttendance).toBe(27);
    expect(a.weeks.reduce((n: number, w: { total: number }) => n + w.total, 0)).toBe(27);
    expect(a.weeks.reduce((n: number, w: { headcount: number }) => n + w.headcount, 0)).toBe(5);
    // first check-in in the window: all but #5 (90 days ago) and #6 (80); second one in it: all 8
    expect(a.firstTimeGuests).toBe(6);
    expect(a.returningGuests).toBe(8);
    expect(a.averageAttendance).toBe(Math.round((27 / a.occurrences) * 10) / 10);
    expect(a.occurrences).toBeGreaterThanOrEqual(60);
    expect(a.weeks.every((w: { weekStart: string }) => new Date(`${w.weekStart}T12:00:00Z`).getUTCDay() === 1)).toBe(true);

    // cached: the same answer without SQL; a check-in invalidates it
    s.database.statements.reset();
    expect((await s.gql<any>(q, vars)).data).toEqual(r.data);
    expect(s.database.statements.recent.filter((x) => /check_ins/.test(x.query))).toHaveLength(0);
    const ci = await s.gql<any>('mutation($o: ID!, $m: [ID!]!) { checkIn(occurrenceId: $o, memberIds: $m) { checkedIn } }', {
      o: occId(eventId, at(1)),
      m: [String(l.memberIds[9])],
    });
    expect(ci.data.checkIn.checkedIn).toBe(1);
    expect((await s.gql<any>(q, vars)).data.attendance.totalAttendance).toBe(28);
  });

  it('EXPLAIN: the counts are served by the check-in indexes', async () => {
    const plans: Record<string, string> = {};
    const capture = async (label: string, query: string, variables: Record<string, unknown>, marker: RegExp) => {
      s.database.statements.reset();
      const r = await s.gql<any>(query, variables);
      expect(r.errors, label).toBeUndefined();
      const st = s.database.statements.recent.find((x) => marker.test(x.query));
      expect(st, `${label}: statement not captured`).toBeDefined();
      // with sequential scans priced out, a plan still scanning check_ins has no index to use
      const rows = await sql.begin(async (tx) => {
        await tx`SET LOCAL enable_seqscan = off`;
        return tx.unsafe(`EXPLAIN (FORMAT JSON) ${st!.query}`, st!.params as never[]);
      });
      plans[label] = JSON.stringify(rows[0]!['QUERY PLAN']);
    };
    await sql`ANALYZE check_ins`;
    await capture('lapsed', 'query($c: ID!) { lapsedPeople(churchId: $c, first: 5) { edges { attended } } }', { c: String(l.churchId) }, /HAVING count/);
    const from = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(Date.now() - 30 * DAY));
    const report = `query($c: ID!, $e: ID!, $from: LocalDate) { attendance(churchId: $c, eventId: $e, from: $from) { totalAttendance firstTimeGuests } }`;
    await capture('series', report, { c: String(l.churchId), e: eventId, from: `${from.slice(0, 8)}01` }, /GROUP BY occurrence_start/);
    await capture('guests', report, { c: String(l.churchId), e: eventId, from: `${from.slice(0, 8)}02` }, /row_number\(\) OVER \(PARTITION BY ci.member_id/);
    await capture('occurrence', 'query($id: ID!) { occurrence(id: $id) { checkedInCount } }', { id: occId(eventId, at(30)) }, /JOIN check_ins ci ON ci.event_id = k.event_id/);
    for (const [label, plan] of Object.entries(plans)) {
      expect(plan, label).not.toMatch(/"Node Type":"Seq Scan","Parallel Aware":false,"Async Capable":false,"Relation Name":"check_ins"/);
      expect(plan, label).toMatch(/"Index Name":"check_ins_(pkey|church_member_idx|church_start_idx)"/);
    }
  });
});
