import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { CheckInVia } from '../../db/schema/index.js';
import { intArray, toDate } from '../../db/sql.js';
import { memberFromRaw, searchPattern, type MemberRawRow, type MemberRow } from '../member/member.queries.js';

/** The few facts a door tablet may show about a person: no phone, email or anything else. */
export interface CheckInPersonRow {
  id: number;
  firstName: string;
  lastName: string;
  householdId: number | null;
  householdName: string | null;
  archived: boolean;
}

type PersonRaw = { id: number; first_name: string; last_name: string; household_id: number | null; household_name: string | null; archived: boolean };
const personFromRaw = (r: PersonRaw): CheckInPersonRow => ({
  id: r.id,
  firstName: r.first_name,
  lastName: r.last_name,
  householdId: r.household_id,
  householdName: r.household_name,
  archived: r.archived,
});

const PERSON_COLUMNS = sql`m.id, m.first_name, m.last_name, m.household_id, h.name AS household_name, (m.archived_at IS NOT NULL) AS archived`;

/** People of one church by id (members_pkey), archived ones included (the caller says why they are refused). */
export async function peopleByIds(db: Queryable, churchId: number, ids: readonly number[]): Promise<CheckInPersonRow[]> {
  if (!ids.length) return [];
  const rows = await db.execute<PersonRaw>(sql`
    SELECT ${PERSON_COLUMNS} FROM members m LEFT JOIN households h ON h.id = m.household_id
    WHERE m.id = ANY(${intArray(ids)}) AND m.church_id = ${churchId}`);
  return rows.map(personFromRaw);
}

/** A household's people (members_household_idx), not archived. */
export async function householdPeople(db: Queryable, churchId: number, householdId: number, cap: number): Promise<CheckInPersonRow[]> {
  const rows = await db.execute<PersonRaw>(sql`
    SELECT ${PERSON_COLUMNS} FROM members m JOIN households h ON h.id = m.household_id
    WHERE m.household_id = ${householdId} AND m.church_id = ${churchId} AND m.archived_at IS NULL
    ORDER BY lower(m.last_name), lower(m.first_name), m.id LIMIT ${cap}`);
  return rows.map(personFromRaw);
}

/** The door's search: a name or phone fragment (members_search_trgm_idx), not archived, by name. */
export async function searchPeople(db: Queryable, churchId: number, term: string, cap: number): Promise<CheckInPersonRow[]> {
  const rows = await db.execute<PersonRaw>(sql`
    SELECT ${PERSON_COLUMNS} FROM members m LEFT JOIN households h ON h.id = m.household_id
    WHERE m.church_id = ${churchId} AND m.archived_at IS NULL AND m.search_text LIKE ${searchPattern(term)}
    ORDER BY lower(m.last_name), lower(m.first_name), m.id LIMIT ${cap}`);
  return rows.map(personFromRaw);
}

/** Records check-ins; people already checked in stay as they were. Returns the ids newly checked in. */
export async function insertCheckIns(
  db: Queryable,
  row: { churchId: number; eventId: number; occurrenceStart: Date; memberIds: readonly number[]; by: number | null; via: CheckInVia },
): Promise<number[]> {
  if (!row.memberIds.length) return [];
  const rows = await db.execute<{ member_id: number }>(sql`
    INSERT INTO check_ins (church_id, event_id, occurrence_start, member_id, checked_in_by, via)
    SELECT ${row.churchId}, ${row.eventId}, ${row.occurrenceStart.toISOString()}::timestamptz, x.id, ${row.by}, ${row.via}::check_in_via
    FROM unnest(${intArray(row.memberIds)}) AS x(id)
    ON CONFLICT (event_id, occurrence_start, member_id) DO NOTHING
    RETURNING member_id`);
  return rows.map((r) => r.member_id);
}

/**
 * Checks in people of one church named by id, in one statement: they are read (members_pkey,
 * archived ones included) and inserted only when every id is a person of the church and none is
 * archived; otherwise nothing is written and the caller reports which (twice is once: ON CONFLICT).
 */
export async function checkInPeopleByIds(
  db: Queryable,
  row: { churchId: number; eventId: number; occurrenceStart: Date; memberIds: readonly number[]; by: number | null; via: CheckInVia },
): Promise<{ people: CheckInPersonRow[]; added: number[] }> {
  if (!row.memberIds.length) return { people: [], added: [] };
  const ids = intArray(row.memberIds);
  const rows = await db.execute<PersonRaw & { added: boolean }>(sql`
    WITH p AS (
      SELECT ${PERSON_COLUMNS} FROM members m LEFT JOIN households h ON h.id = m.household_id
      WHERE m.id = ANY(${ids}) AND m.church_id = ${row.churchId}
    ), ins AS (
      INSERT INTO check_ins (church_id, event_id, occurrence_start, member_id, checked_in_by, via)
      SELECT ${row.churchId}, ${row.eventId}, ${row.occurrenceStart.toISOString()}::timestamptz, p.id, ${row.by}, ${row.via}::check_in_via
      FROM p
      WHERE (SELECT count(*) FROM p) = cardinality(${ids}) AND NOT EXISTS (SELECT 1 FROM p WHERE p.archived)
      ON CONFLICT (event_id, occurrence_start, member_id) DO NOTHING
      RETURNING member_id
    )
    SELECT p.*, (ins.member_id IS NOT NULL) AS added FROM p LEFT JOIN ins ON ins.member_id = p.id`);
  return { people: rows.map(personFromRaw), added: rows.filter((r) => r.added).map((r) => r.id) };
}

export async function deleteCheckIn(db: Queryable, eventId: number, occurrenceStart: Date, memberId: number): Promise<boolean> {
  const rows = await db.execute<{ member_id: number }>(sql`
    DELETE FROM check_ins WHERE event_id = ${eventId} AND occurrence_start = ${occurrenceStart.toISOString()}::timestamptz AND member_id = ${memberId}
    RETURNING member_id`);
  return rows.length > 0;
}

/** Named check-ins per occurrence of several (event, start) pairs, in one statement (check_ins_pkey). */
export async function countCheckIns(
  db: Queryable,
  keys: ReadonlyArray<{ eventId: number; start: Date }>,
  scope: readonly number[],
): Promise<Map<string, number>> {
  if (!keys.length || !scope.length) return new Map();
  const rows = await db.execute<{ event_id: number; occurrence_start: string; n: number }>(sql`
    SELECT ci.event_id, ci.occurrence_start, count(*)::int AS n
    FROM unnest(${intArray(keys.map((k) => k.eventId))}, string_to_array(${keys.map((k) => k.start.toISOString()).join(',')}, ',')::timestamptz[]) AS k(event_id, start)
    JOIN check_ins ci ON ci.event_id = k.event_id AND ci.occurrence_start = k.start
    WHERE ci.church_id = ANY(${intArray(scope)})
    GROUP BY ci.event_id, ci.occurrence_start`);
  return new Map(rows.map((r) => [`${r.event_id}@${toDate(r.occurrence_start).toISOString()}`, r.n]));
}

export interface CheckInEdgeRow {
  member: MemberRow;
  checkedInAt: Date;
  via: CheckInVia;
}

/** Occurrence.checkIns: its people in member-id order (check_ins_pkey range), keyset on member id. */
export async function pageCheckIns(
  db: Queryable,
  a: { churchId: number; eventId: number; start: Date; limit: number; afterMemberId?: number },
): Promise<CheckInEdgeRow[]> {
  const rows = await db.execute<MemberRawRow & { ci_checked_in_at: string; ci_via: CheckInVia }>(sql`
    SELECT ci.checked_in_at AS ci_checked_in_at, ci.via AS ci_via, m.*
    FROM check_ins ci JOIN members m ON m.id = ci.member_id
    WHERE ci.event_id = ${a.eventId} AND ci.occurrence_start = ${a.start.toISOString()}::timestamptz AND ci.church_id = ${a.churchId}
      AND ci.member_id > ${a.afterMemberId ?? 0}
    ORDER BY ci.member_id LIMIT ${a.limit}`);
  return rows.map((r) => ({ member: memberFromRaw(r), checkedInAt: toDate(r.ci_checked_in_at), via: r.ci_via }));
}

export async function countCheckInsAt(db: Queryable, eventId: number, start: Date): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM check_ins WHERE event_id = ${eventId} AND occurrence_start = ${start.toISOString()}::timestamptz`);
  return r?.n ?? 0;
}
