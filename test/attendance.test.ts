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
    const first = await s.gql<any>(q, { o: occ, m: [m] });
    expect(first.errors).toBeUndefined();
    expect(first.data.checkIn).toMatchObject({ occurrenceId: occ, checkedIn: 1, alreadyCheckedIn: 0 });
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
