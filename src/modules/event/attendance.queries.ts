import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { toDate } from '../../db/sql.js';
import { memberFromRaw, type MemberRawRow, type MemberRow } from '../member/member.queries.js';

/** The lapsed rule with its windows resolved to instants: [prevFrom, absentFrom) and [absentFrom, now). */
export interface LapsedSpec {
  churchId: number;
  eventId: number | null;
  minAttendances: number;
  prevFrom: Date;
  absentFrom: Date;
}

/**
 * Regulars and members (not archived) with at least N check-ins in the earlier window and none
 * since: one range of check_ins_church_start_idx (or check_ins_pkey for one event series).
 */
export function lapsedIdsSql(a: LapsedSpec): SQL {
  const series = a.eventId === null ? sql`TRUE` : sql`ci.event_id = ${a.eventId}`;
  return sql`
    SELECT ci.member_id, count(*)::int AS attended, max(ci.occurrence_start) AS last_attended
    FROM check_ins ci
    WHERE ci.church_id = ${a.churchId} AND ${series} AND ci.occurrence_start >= ${a.prevFrom.toISOString()}::timestamptz
    GROUP BY ci.member_id
    HAVING count(*) FILTER (WHERE ci.occurrence_start >= ${a.absentFrom.toISOString()}::timestamptz) = 0
       AND count(*) >= ${a.minAttendances}`;
}

export interface LapsedRow {
  member: MemberRow;
  attended: number;
  lastAttendedAt: Date;
}

/** A page of the lapsed list in name order (keyset lower(last), lower(first), id). */
export async function pageLapsed(db: Queryable, a: LapsedSpec, limit: number, after?: Array<string | number | null>): Promise<LapsedRow[]> {
  const keyset = after
    ? sql`(lower(m.last_name), lower(m.first_name), m.id) > (${after[0]}, ${after[1]}, ${after[2]})`
    : sql`TRUE`;
  const rows = await db.execute<MemberRawRow & { x_attended: number; x_last: string }>(sql`
    SELECT x.attended AS x_attended, x.last_attended AS x_last, m.*
    FROM (${lapsedIdsSql(a)}) x JOIN members m ON m.id = x.member_id
    WHERE m.church_id = ${a.churchId} AND m.archived_at IS NULL AND m.status IN ('regular', 'member') AND ${keyset}
    ORDER BY lower(m.last_name), lower(m.first_name), m.id LIMIT ${limit}`);
  return rows.map((r) => ({ member: memberFromRaw(r), attended: r.x_attended, lastAttendedAt: toDate(r.x_last) }));
}

export async function countLapsed(db: Queryable, a: LapsedSpec): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM (${lapsedIdsSql(a)}) x JOIN members m ON m.id = x.member_id
    WHERE m.church_id = ${a.churchId} AND m.archived_at IS NULL AND m.status IN ('regular', 'member')`);
  return r?.n ?? 0;
}

/** Named check-ins per occurrence start of one event in a window (check_ins_pkey range). */
export async function seriesCounts(db: Queryable, eventId: number, churchId: number, from: Date, to: Date): Promise<Map<number, number>> {
  const rows = await db.execute<{ s: string; n: number }>(sql`
    SELECT occurrence_start AS s, count(*)::int AS n FROM check_ins
    WHERE event_id = ${eventId} AND church_id = ${churchId}
      AND occurrence_start >= ${from.toISOString()}::timestamptz AND occurrence_start < ${to.toISOString()}::timestamptz
    GROUP BY occurrence_start`);
  return new Map(rows.map((r) => [toDate(r.s).getTime(), r.n]));
}

/**
 * First-time guests (people whose first check-in ever falls in the window) and returning guests
 * (whose second one does), church-wide or for one series: check_ins_church_member_idx gives each
 * person's check-ins in time order (an index-only scan), the window is applied to the ranks.
 */
export async function guestCounts(
  db: Queryable,
  a: { churchId: number; eventId: number | null; from: Date; to: Date },
): Promise<{ firstTime: number; returning: number }> {
  const series = a.eventId === null ? sql`TRUE` : sql`ci.event_id = ${a.eventId}`;
  const f = a.from.toISOString();
  const t = a.to.toISOString();
  const [r] = await db.execute<{ first_time: number; returning: number }>(sql`
    SELECT count(*) FILTER (WHERE rn = 1)::int AS first_time, count(*) FILTER (WHERE rn = 2)::int AS returning
    FROM (
      SELECT ci.occurrence_start, row_number() OVER (PARTITION BY ci.member_id ORDER BY ci.occurrence_start) AS rn
      FROM check_ins ci
      WHERE ci.church_id = ${a.churchId} AND ${series} AND ci.occurrence_start < ${t}::timestamptz
    ) x
    WHERE rn <= 2 AND x.occurrence_start >= ${f}::timestamptz`);
  return { firstTime: r?.first_time ?? 0, returning: r?.returning ?? 0 };
}
