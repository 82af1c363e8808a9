import { sql, type SQL } from 'drizzle-orm';
import type { MessageChannel } from '../../db/schema/index.js';
import type { Queryable } from '../../db/client.js';
import { coalesced, IDS_PLACEHOLDER } from '../../db/coalesce.js';
import { FAILED_STATUSES, NEVER_HANDED_OVER_STATUSES, statusList } from '../../delivery/status.js';

/** Inclusive calendar dates (YYYY-MM-DD) in the church's time zone. */
export interface DateRange {
  from: string;
  to: string;
}

export interface MemberTotals {
  visitor: number;
  regular: number;
  member: number;
  inactive: number;
  total: number;
  newMembers: number;
  firstTimeVisitors: number;
  returningVisitors: number;
  households: number;
  activeMembers: number;
  inGroups: number;
}

/**
 * Everything about a church's people in one pass over its non-archived members: an index-only
 * scan of members_analytics_idx (status, household and growth dates are all in the index), joined
 * to the church's members with a group membership, read once in one range of
 * group_memberships_church_member_idx. (A probe per member, as an EXISTS per row, touched three
 * index pages per person: 132,000 buffers for a church of 50,000; the join touches 600.)
 */
export async function memberTotals(db: Queryable, churchId: number, r: DateRange): Promise<MemberTotals> {
  const [row] = await db.execute<Record<keyof MemberTotals, number>>(sql`
    SELECT
      count(*) FILTER (WHERE m.status = 'visitor')::int AS "visitor",
      count(*) FILTER (WHERE m.status = 'regular')::int AS "regular",
      count(*) FILTER (WHERE m.status = 'member')::int AS "member",
      count(*) FILTER (WHERE m.status = 'inactive')::int AS "inactive",
      count(*)::int AS "total",
      count(*) FILTER (WHERE m.joined_on BETWEEN ${r.from}::date AND ${r.to}::date)::int AS "newMembers",
      count(*) FILTER (WHERE m.first_visit_on BETWEEN ${r.from}::date AND ${r.to}::date)::int AS "firstTimeVisitors",
      count(*) FILTER (WHERE m.first_visit_on BETWEEN ${r.from}::date AND ${r.to}::date
                         AND m.status IN ('regular', 'member'))::int AS "returningVisitors",
      count(DISTINCT m.household_id)::int AS "households",
      count(*) FILTER (WHERE m.status <> 'inactive')::int AS "activeMembers",
      count(*) FILTER (WHERE m.status <> 'inactive' AND g.member_id IS NOT NULL)::int AS "inGroups"
    FROM members m
    LEFT JOIN (SELECT DISTINCT gm.member_id FROM group_memberships gm WHERE gm.church_id = ${churchId}) g ON g.member_id = m.id
    WHERE m.church_id = ${churchId} AND m.archived_at IS NULL`);
  return row!;
}

/**
 * Non-archived people by status, alone: an index-only scan of the church's part of
 * members_analytics_idx (church_id, status, …), grouped. For a dashboard asking only this number.
 */
export async function statusCounts(db: Queryable, churchId: number): Promise<Pick<MemberTotals, 'visitor' | 'regular' | 'member' | 'inactive' | 'total'>> {
  type Row = { status: 'visitor' | 'regular' | 'member' | 'inactive'; n: number };
  // the plan is the same for every church: concurrent requests' counts go as one statement
  // (src/db/coalesce.ts), each church's groups tagged with its position
  // (a batch of one goes as the plain one-church count)
  const one = (church: SQL) => sql`
      SELECT m.status, count(*)::int AS n FROM members m
      WHERE m.church_id = ${church} AND m.archived_at IS NULL
      GROUP BY m.status`;
  const rows =
    (await coalesced<Row & { ord: number }>(
      db,
      'analytics.statusCounts',
      churchId,
      () => sql`
      SELECT c.ord, m.status, count(*)::int AS n
      FROM unnest(string_to_array(${IDS_PLACEHOLDER}, ',')::int[]) WITH ORDINALITY AS c(id, ord)
      JOIN members m ON m.church_id = c.id AND m.archived_at IS NULL
      GROUP BY m.status, c.ord`,
      () => one(sql`${IDS_PLACEHOLDER}::int`),
    )) ?? (await db.execute<Row>(one(sql`${churchId}`)));
  const out = { visitor: 0, regular: 0, member: 0, inactive: 0, total: 0 };
  for (const r of rows) {
    out[r.status] = r.n;
    out.total += r.n;
  }
  return out;
}

export interface MonthRow {
  month: string;
  joined: number;
  inactivated: number;
}

/**
 * Joined and inactivated per calendar month of the range, months without either included (the
 * generate_series side). Same index-only scan as memberTotals; each member yields up to two
 * dated events, kept only when the date is inside the range.
 */
export async function monthlyGrowth(db: Queryable, churchId: number, r: DateRange): Promise<MonthRow[]> {
  // timestamp (not timestamptz) month arithmetic: the session time zone plays no part
  const rows = await db.execute<{ month: string; joined: number; inactivated: number }>(sql`
    SELECT to_char(mo.mo, 'YYYY-MM') AS month,
           count(e.kind) FILTER (WHERE e.kind = 'j')::int AS joined,
           count(e.kind) FILTER (WHERE e.kind = 'i')::int AS inactivated
    FROM generate_series(date_trunc('month', ${r.from}::date::timestamp), ${r.to}::date::timestamp, interval '1 month') AS mo(mo)
    LEFT JOIN (
      SELECT date_trunc('month', v.d::timestamp) AS mo, v.kind
      FROM members m
      CROSS JOIN LATERAL (VALUES (m.joined_on, 'j'), (m.inactivated_on, 'i')) AS v(d, kind)
      WHERE m.church_id = ${churchId} AND m.archived_at IS NULL
        AND v.d BETWEEN ${r.from}::date AND ${r.to}::date
    ) e ON e.mo = mo.mo
    GROUP BY mo.mo
    ORDER BY mo.mo`);
  return rows.map((x) => ({ month: x.month, joined: x.joined, inactivated: x.inactivated }));
}

export type MessagingTotals = {
  messages: number;
  recipients: number;
  textsSent: number;
  delivered: number;
  failed: number;
  unconfirmed: number;
  segments: number;
  /** numeric, as text: a sum of 4-decimal amounts stays exact until the service rounds it */
  estimatedCost: string;
};

/**
 * Messages whose send_at falls on the range's dates in the church's zone. The date bounds are
 * turned into instants (local midnight of `from`, local midnight after `to`), so the comparison is
 * on the bare column and messages_church_send_at_idx serves it. Recipients are counted per
 * message by index-only scans: statuses in message_recipients_message_status_idx, texts handed to
 * the provider in message_recipients_sent_idx. A message cancelled before any text reached the
 * provider is left out entirely.
 */
export async function messagingTotals(
  db: Queryable,
  churchId: number,
  r: DateRange,
  timeZone: string,
): Promise<MessagingTotals & { byChannel: Array<MessagingTotals & { channel: MessageChannel }> }> {
  // one row per channel (texts, emails) of the same scan; the totals are their sums
  const rows = await db.execute<MessagingTotals & { channel: MessageChannel }>(sql`
    SELECT m.channel, count(*)::int AS "messages",
           coalesce(sum(x.recipients + z.recipients), 0)::int AS "recipients",
           coalesce(sum(y.texts_sent + z.texts_sent), 0)::int AS "textsSent",
           coalesce(sum(x.delivered + z.delivered), 0)::int AS "delivered",
           coalesce(sum(x.failed + z.failed), 0)::int AS "failed",
           coalesce(sum(x.unconfirmed + z.unconfirmed), 0)::int AS "unconfirmed",
           coalesce(sum((y.texts_sent + z.texts_sent) * m.segments), 0)::int AS "segments",
           coalesce(sum(m.estimated_cost), 0)::text AS "estimatedCost"
    FROM messages m
    -- each message's rows are in its own month: r.created_at = m.created_at prunes the partitions
    -- per message (src/db/partitions.ts)
    CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE r.status <> 'skipped') AS recipients,
             count(*) FILTER (WHERE r.status = 'delivered') AS delivered,
             count(*) FILTER (WHERE r.status IN ${statusList(FAILED_STATUSES)}) AS failed,
             count(*) FILTER (WHERE r.status = 'unconfirmed') AS unconfirmed
      FROM message_recipients r
      WHERE r.message_id = m.id AND r.created_at = m.created_at AND m.delivery_summary IS NULL
    ) x
    CROSS JOIN LATERAL (
      -- the predicate of message_recipients_sent_idx, word for word (both from src/delivery/status.ts)
      SELECT count(*) AS texts_sent
      FROM message_recipients r
      WHERE r.message_id = m.id AND r.created_at = m.created_at AND m.delivery_summary IS NULL
        AND r.provider_sid IS NOT NULL AND r.status NOT IN ${statusList(NEVER_HANDED_OVER_STATUSES)}
    ) y
    -- a message whose month has left the table: the figures written on it then
    CROSS JOIN LATERAL (
      SELECT coalesce(sum(e.n) FILTER (WHERE e.k <> 'skipped'), 0) AS recipients,
             coalesce(sum(e.n) FILTER (WHERE e.k = 'delivered'), 0) AS delivered,
             coalesce(sum(e.n) FILTER (WHERE e.k IN ${statusList(FAILED_STATUSES)}), 0) AS failed,
             coalesce(sum(e.n) FILTER (WHERE e.k = 'unconfirmed'), 0) AS unconfirmed,
             coalesce((m.delivery_summary ->> 'textsSent')::int, 0) AS texts_sent
      FROM (SELECT key AS k, value::int AS n FROM jsonb_each_text(coalesce(m.delivery_summary -> 'counts', '{}'::jsonb))) e
    ) z
    WHERE m.church_id = ${churchId}
      AND m.send_at >= (${r.from}::date::timestamp AT TIME ZONE ${timeZone}::text)
      AND m.send_at < ((${r.to}::date + 1)::timestamp AT TIME ZONE ${timeZone}::text)
      AND (m.cancelled_at IS NULL OR y.texts_sent + z.texts_sent > 0)
    GROUP BY m.channel
    ORDER BY m.channel`);
  const total: MessagingTotals = { messages: 0, recipients: 0, textsSent: 0, delivered: 0, failed: 0, unconfirmed: 0, segments: 0, estimatedCost: '0' };
  let cost = 0;
  for (const x of rows) {
    for (const k of ['messages', 'recipients', 'textsSent', 'delivered', 'failed', 'unconfirmed', 'segments'] as const) total[k] += x[k];
    cost += Number(x.estimatedCost);
  }
  total.estimatedCost = String(cost);
  return { ...total, byChannel: [...rows] };
}
