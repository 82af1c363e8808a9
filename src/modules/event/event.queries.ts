import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { events, eventOccurrences } from '../../db/schema/index.js';
import { insertedRow, intArray, toDate } from '../../db/sql.js';

export type EventRow = typeof events.$inferSelect;
export type NewEventRow = typeof events.$inferInsert;

/** An exception row: what differs about one occurrence (keyed by the start its rule gives). */
export interface ExceptionRow {
  eventId: number;
  originalStart: Date;
  startsAt: Date | null;
  endsAt: Date | null;
  cancelledAt: Date | null;
  headcount: number;
}

type ExceptionRaw = {
  event_id: number;
  original_start: string;
  starts_at: string | null;
  ends_at: string | null;
  cancelled_at: string | null;
  headcount: number;
};

const exceptionFromRaw = (r: ExceptionRaw): ExceptionRow => ({
  eventId: r.event_id,
  originalStart: toDate(r.original_start),
  startsAt: toDate(r.starts_at),
  endsAt: toDate(r.ends_at),
  cancelledAt: toDate(r.cancelled_at),
  headcount: r.headcount,
});

export async function eventsByIds(db: Queryable, ids: readonly number[], scope: readonly number[]): Promise<EventRow[]> {
  if (!scope.length) return [];
  return db
    .select()
    .from(events)
    .where(and(sql`${events.id} = ANY(${intArray(ids)})`, sql`${events.churchId} = ANY(${intArray(scope)})`));
}

/**
 * One event of the given churches with its exception at one start, in one statement (events_pkey,
 * event_occurrences_pkey): what a check-in or an occurrence lookup needs.
 */
export async function eventWithExceptionAt(
  db: Queryable,
  eventId: number,
  scope: readonly number[],
  originalStart: Date,
): Promise<{ event: EventRow; exception: ExceptionRow | undefined } | undefined> {
  if (!scope.length) return undefined;
  const [r] = await db
    .select({ event: events, ex: eventOccurrences })
    .from(events)
    .leftJoin(eventOccurrences, and(eq(eventOccurrences.eventId, events.id), eq(eventOccurrences.originalStart, originalStart)))
    .where(and(eq(events.id, eventId), sql`${events.churchId} = ANY(${intArray(scope)})`));
  if (!r) return undefined;
  const ex = r.ex;
  return {
    event: r.event,
    exception: ex
      ? { eventId: ex.eventId, originalStart: ex.originalStart, startsAt: ex.startsAt, endsAt: ex.endsAt, cancelledAt: ex.cancelledAt, headcount: ex.headcount }
      : undefined,
  };
}

/** events(churchId): name order, keyset (lower(name), id) on events_church_name_idx. */
export async function pageEvents(
  db: Queryable,
  a: { churchId: number; limit: number; after?: Array<string | number | null>; groupId?: number; archived: boolean },
): Promise<EventRow[]> {
  const keyset = a.after ? sql`(lower(${events.name}), ${events.id}) > (${a.after[0]}, ${a.after[1]})` : sql`TRUE`;
  return db
    .select()
    .from(events)
    .where(
      and(
        eq(events.churchId, a.churchId),
        a.archived ? sql`${events.archivedAt} IS NOT NULL` : sql`${events.archivedAt} IS NULL`,
        a.groupId !== undefined ? eq(events.groupId, a.groupId) : undefined,
        keyset,
      ),
    )
    .orderBy(sql`lower(${events.name})`, events.id)
    .limit(a.limit);
}

export async function countEvents(db: Queryable, a: { churchId: number; groupId?: number; archived: boolean }): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM events
    WHERE church_id = ${a.churchId} AND ${a.archived ? sql`archived_at IS NOT NULL` : sql`archived_at IS NULL`}
      AND ${a.groupId !== undefined ? sql`group_id = ${a.groupId}` : sql`TRUE`}`);
  return r?.n ?? 0;
}

export async function insertEvent(db: Queryable, row: NewEventRow): Promise<EventRow> {
  return insertedRow(await db.insert(events).values(row).returning());
}

export async function updateEvent(db: Queryable, id: number, patch: Partial<NewEventRow>): Promise<EventRow | undefined> {
  const [e] = await db
    .update(events)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(events.id, id))
    .returning();
  return e;
}

/**
 * An event's exceptions that matter to a window: those whose rule start is in it, and those moved
 * into it from elsewhere (event_occurrences_pkey, event_occurrences_moved_idx).
 */
export async function exceptionsInWindow(db: Queryable, eventId: number, from: Date, to: Date): Promise<ExceptionRow[]> {
  const f = from.toISOString();
  const t = to.toISOString();
  const rows = await db.execute<ExceptionRaw>(sql`
    SELECT event_id, original_start, starts_at, ends_at, cancelled_at, headcount FROM event_occurrences
    WHERE event_id = ${eventId} AND original_start >= ${f}::timestamptz AND original_start < ${t}::timestamptz
    UNION
    SELECT event_id, original_start, starts_at, ends_at, cancelled_at, headcount FROM event_occurrences
    WHERE event_id = ${eventId} AND starts_at >= ${f}::timestamptz AND starts_at < ${t}::timestamptz`);
  return rows.map(exceptionFromRaw);
}

/** exceptionsInWindow for several events at once (one statement: a page of events asking the same window). */
export async function exceptionsInWindowByEvent(
  db: Queryable,
  eventIds: readonly number[],
  from: Date,
  to: Date,
  scope: readonly number[],
): Promise<Map<number, ExceptionRow[]>> {
  if (!scope.length) return new Map();
  const f = from.toISOString();
  const t = to.toISOString();
  const rows = await db.execute<ExceptionRaw>(sql`
    SELECT x.event_id, x.original_start, x.starts_at, x.ends_at, x.cancelled_at, x.headcount
    FROM unnest(${intArray(eventIds)}) AS e(id)
    CROSS JOIN LATERAL (
      SELECT * FROM event_occurrences o
      WHERE o.event_id = e.id AND o.original_start >= ${f}::timestamptz AND o.original_start < ${t}::timestamptz
      UNION
      SELECT * FROM event_occurrences o
      WHERE o.event_id = e.id AND o.starts_at >= ${f}::timestamptz AND o.starts_at < ${t}::timestamptz
    ) x
    WHERE x.church_id = ANY(${intArray(scope)})`);
  const out = new Map<number, ExceptionRow[]>();
  for (const r of rows) {
    const x = exceptionFromRaw(r);
    const list = out.get(x.eventId);
    if (list) list.push(x);
    else out.set(x.eventId, [x]);
  }
  return out;
}

export async function exceptionAt(db: Queryable, eventId: number, originalStart: Date, lock = false): Promise<ExceptionRow | undefined> {
  const [r] = await db.execute<ExceptionRaw>(sql`
    SELECT event_id, original_start, starts_at, ends_at, cancelled_at, headcount FROM event_occurrences
    WHERE event_id = ${eventId} AND original_start = ${originalStart.toISOString()}::timestamptz
    ${lock ? sql`FOR UPDATE` : sql``}`);
  return r ? exceptionFromRaw(r) : undefined;
}

/** Creates or changes one occurrence's exception; only the given parts change. */
export async function upsertException(
  db: Queryable,
  row: { churchId: number; eventId: number; originalStart: Date },
  patch: { startsAt?: Date | null; endsAt?: Date | null; cancelled?: boolean; headcount?: number },
): Promise<ExceptionRow> {
  const set: Record<string, unknown> = { updatedAt: sql`now()` };
  if (patch.startsAt !== undefined) set.startsAt = patch.startsAt;
  if (patch.endsAt !== undefined) set.endsAt = patch.endsAt;
  if (patch.cancelled !== undefined) set.cancelledAt = patch.cancelled ? sql`coalesce(${eventOccurrences.cancelledAt}, now())` : null;
  if (patch.headcount !== undefined) set.headcount = patch.headcount;
  const [r] = await db
    .insert(eventOccurrences)
    .values({
      churchId: row.churchId,
      eventId: row.eventId,
      originalStart: row.originalStart,
      startsAt: patch.startsAt ?? null,
      endsAt: patch.endsAt ?? null,
      cancelledAt: patch.cancelled ? sql`now()` : null,
      headcount: patch.headcount ?? 0,
    })
    .onConflictDoUpdate({ target: [eventOccurrences.eventId, eventOccurrences.originalStart], set })
    .returning();
  return {
    eventId: r!.eventId,
    originalStart: r!.originalStart,
    startsAt: r!.startsAt,
    endsAt: r!.endsAt,
    cancelledAt: r!.cancelledAt,
    headcount: r!.headcount,
  };
}
