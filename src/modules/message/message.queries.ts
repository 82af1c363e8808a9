import { lapsedIdsSql } from '../event/attendance.queries.js';
import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { messageRecipients, messages, type MemberStatus, type MessageStatus, type RecipientStatus } from '../../db/schema/index.js';
import { insertedRow, intArray } from '../../db/sql.js';
import { phoneOptedOutSql } from '../member/consent.queries.js';

export type MessageRow = typeof messages.$inferSelect;
export type NewMessageRow = typeof messages.$inferInsert;
export type RecipientRow = typeof messageRecipients.$inferSelect;

export interface AudienceSpec {
  everyone: boolean;
  statuses: MemberStatus[];
  groupIds: number[];
  memberIds: number[];
  /** the lapsed rule resolved when the message was made (instants as ISO text) */
  lapsed?: { eventId: number | null; minAttendances: number; prevFrom: string; absentFrom: string } | null;
  /** smart lists (their rules compiled as of the send) */
  smartListIds?: number[];
}

export interface AudienceMember {
  id: number;
  firstName: string;
  lastName: string;
  phone: string | null;
  optedOut: boolean;
}

/**
 * The union of the audience's parts within one church, non-archived people only. "Everyone"
 * means everyone active (not INACTIVE). Ordered so that, for a phone shared by several people,
 * the household head comes first (they get the one text for that number).
 */
export async function audienceMembers(db: Queryable, churchId: number, a: AudienceSpec, limit: number, lists: SQL[] = []): Promise<AudienceMember[]> {
  const rows = await db.execute<{ id: number; first_name: string; last_name: string; phone: string | null; opted_out: boolean }>(sql`
    SELECT m.id, m.first_name, m.last_name, m.phone,
           (m.sms_opted_out_at IS NOT NULL OR (m.phone IS NOT NULL AND ${phoneOptedOutSql(sql`m.church_id`, sql`m.phone`)})) AS opted_out
    FROM members m
    WHERE ${audienceWhereSql(churchId, a, lists)}
    ORDER BY m.phone NULLS LAST, (m.household_role = 'head') DESC NULLS LAST, m.id
    LIMIT ${limit}`);
  return rows.map((r) => ({ id: r.id, firstName: r.first_name, lastName: r.last_name, phone: r.phone, optedOut: r.opted_out }));
}

/** Who an audience is, as a WHERE over members m (one church, non-archived): texts and emails alike; smart lists' rules as compiled. */
export function audienceWhereSql(churchId: number, a: AudienceSpec, lists: SQL[] = []): SQL {
  const statuses = a.statuses.length ? sql`m.status = ANY(string_to_array(${a.statuses.join(',')}, ',')::member_status[])` : sql`FALSE`;
  const groups = a.groupIds.length
    ? sql`EXISTS (SELECT 1 FROM group_memberships gm WHERE gm.member_id = m.id AND gm.group_id = ANY(${intArray(a.groupIds)}))`
    : sql`FALSE`;
  const ids = a.memberIds.length ? sql`m.id = ANY(${intArray(a.memberIds)})` : sql`FALSE`;
  const lapsed = a.lapsed
    ? sql`(m.status IN ('regular', 'member') AND m.id IN (SELECT l.member_id FROM (${lapsedIdsSql({
        churchId,
        eventId: a.lapsed.eventId,
        minAttendances: a.lapsed.minAttendances,
        prevFrom: new Date(a.lapsed.prevFrom),
        absentFrom: new Date(a.lapsed.absentFrom),
      })}) l))`
    : sql`FALSE`;
  return sql`m.church_id = ${churchId} AND m.archived_at IS NULL
      AND ((${a.everyone} AND m.status <> 'inactive') OR ${statuses} OR ${groups} OR ${ids} OR ${lapsed}${sql.join(lists.map((l) => sql` OR (${l})`))})`;
}

/** Groups and members named in an audience that belong to the church (others are NOT_FOUND). */
export async function idsInChurch(db: Queryable, churchId: number, table: 'groups' | 'members', ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await db.execute<{ id: number }>(
    sql`SELECT id FROM ${sql.identifier(table)} WHERE church_id = ${churchId} AND id = ANY(${intArray(ids)})`,
  );
  return rows.map((r) => r.id);
}

export async function insertMessage(db: Queryable, row: NewMessageRow): Promise<MessageRow> {
  return insertedRow(await db.insert(messages).values(row).returning());
}

export interface NewRecipient {
  memberId: number | null;
  phone: string | null;
  /** emails only (email.service.ts): the address and the channel */
  email?: string | null;
  channel?: 'sms' | 'email';
  status: RecipientStatus;
  reason: string | null;
  /** the text with its merge fields filled (merge-fields.ts); null or absent: the message's body */
  body?: string | null;
}

/**
 * Writes the outbox rows in the message's transaction; returns the ids of those to send. Each row's
 * created_at is the message's (the partition key, src/db/partitions.ts; the foreign key holds it):
 * now(), the transaction's start, as the message's default was (a Date read back would have lost
 * the microseconds).
 */
export async function insertRecipients(
  db: Queryable,
  message: Pick<MessageRow, 'id' | 'churchId'>,
  rows: NewRecipient[],
): Promise<Array<{ id: number; status: RecipientStatus }>> {
  const out: Array<{ id: number; status: RecipientStatus }> = [];
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000).map((r) => ({ churchId: message.churchId, messageId: message.id, createdAt: sql`now()`, ...r }));
    out.push(...(await db.insert(messageRecipients).values(chunk).returning({ id: messageRecipients.id, status: messageRecipients.status })));
  }
  return out;
}

/**
 * A new send's texts to numbers that have a conversation, linked into those threads (one INSERT:
 * the message's rows are in this transaction's month, found by message_recipients_message_status_idx;
 * each number's conversation by conversations_church_phone_key).
 */
export async function linkToConversations(db: Queryable, messageId: number): Promise<number> {
  const rows = await db.execute(sql`
    INSERT INTO conversation_messages (church_id, conversation_id, direction, body, message_id, recipient_id, recipient_created_at, author_id, created_at)
    SELECT r.church_id, c.id, 'outbound', coalesce(r.body, m.body), m.id, r.id, r.created_at, m.author_id, r.created_at
    FROM messages m
    JOIN message_recipients r ON r.message_id = m.id AND r.created_at = m.created_at AND r.status = 'queued'
    JOIN conversations c ON c.church_id = r.church_id AND c.phone = r.phone
    WHERE m.id = ${messageId} AND r.created_at = now()
    ON CONFLICT DO NOTHING
    RETURNING id`);
  return rows.length;
}

export async function messagesByIds(db: Queryable, ids: readonly number[], scope: readonly number[]): Promise<MessageRow[]> {
  if (!scope.length) return [];
  return db
    .select()
    .from(messages)
    .where(and(sql`${messages.id} = ANY(${intArray(ids)})`, sql`${messages.churchId} = ANY(${intArray(scope)})`));
}

/** messages(churchId): newest first (messages_church_created_idx). */
export async function pageMessages(db: Queryable, churchId: number, limit: number, beforeId?: number): Promise<MessageRow[]> {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.churchId, churchId), beforeId ? lt(messages.id, beforeId) : undefined))
    .orderBy(desc(messages.id))
    .limit(limit);
}

export async function countMessages(db: Queryable, churchId: number): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(messages).where(eq(messages.churchId, churchId));
  return r?.n ?? 0;
}

/**
 * Message.recipients: in id order, optionally one status (message_recipients_message_status_idx),
 * in the message's month only (the partition is pruned: the created_at is the message's).
 */
export async function pageRecipients(
  db: Queryable,
  messageId: number,
  limit: number,
  afterId: number | undefined,
  status: RecipientStatus | undefined,
): Promise<RecipientRow[]> {
  return db
    .select()
    .from(messageRecipients)
    .where(
      and(
        eq(messageRecipients.messageId, messageId),
        sql`${messageRecipients.createdAt} = (SELECT m.created_at FROM messages m WHERE m.id = ${messageId})`,
        status ? eq(messageRecipients.status, status) : undefined,
        afterId ? sql`${messageRecipients.id} > ${afterId}` : undefined,
      ),
    )
    .orderBy(messageRecipients.id)
    .limit(limit);
}

/** Cancels a message: recipients not yet handed to the provider become cancelled. */
export async function cancelMessage(db: Queryable, id: number): Promise<{ status: MessageStatus; cancelled: number; jobs: Array<{ id: number; attempts: number }> } | null> {
  // the status it had (for the audit entry), read under the row lock the UPDATE takes
  const [m] = await db.execute<{ status: MessageStatus }>(sql`
    UPDATE messages SET status = 'cancelled', cancelled_at = now()
    FROM (SELECT id, status FROM messages WHERE id = ${id} FOR UPDATE) o
    WHERE messages.id = o.id AND o.status IN ('scheduled', 'sending')
    RETURNING o.status`);
  if (!m) return null;
  const rows = await db.execute<{ id: number; attempts: number }>(sql`
    UPDATE message_recipients SET status = 'cancelled', reason = 'cancelled', lease_until = NULL, updated_at = now()
    WHERE message_id = ${id} AND created_at = (SELECT created_at FROM messages WHERE id = ${id}) AND status = 'queued'
    RETURNING id, attempts`);
  return { status: m.status, cancelled: rows.length, jobs: [...rows] };
}

/** A member's recent texts (message_recipients_member_idx). */
/** One of a member's latest texts (raw: timestamps as text). */
export type RecentTextRow = {
  member_id: number;
  recipient_id: number;
  status: RecipientStatus;
  sent_at: string | null;
  delivered_at: string | null;
  message_id: number;
  body: string;
  channel: 'sms' | 'email';
  created_at: string;
  rn: string;
};

export async function recentForMember(db: Queryable, memberIds: readonly number[], perMember: number, scope: readonly number[]): Promise<RecentTextRow[]> {
  if (!scope.length) return [];
  const rows = await db.execute<RecentTextRow>(sql`
    SELECT x.* FROM (
      SELECT r.member_id, r.id AS recipient_id, r.status, r.sent_at, r.delivered_at, m.id AS message_id, coalesce(r.body, m.body) AS body, m.channel, m.created_at,
             row_number() OVER (PARTITION BY r.member_id ORDER BY r.id DESC) AS rn
      FROM message_recipients r JOIN messages m ON m.id = r.message_id AND m.created_at = r.created_at
      WHERE r.member_id = ANY(${intArray(memberIds)}) AND r.church_id = ANY(${intArray(scope)})
    ) x WHERE x.rn <= ${perMember} ORDER BY x.member_id, x.rn`);
  return rows;
}

/** Has this number (or any member holding it) opted out in the church? */
export async function phoneOptedOut(db: Queryable, churchId: number, phone: string): Promise<boolean> {
  const [r] = await db.execute<{ out: boolean }>(sql`SELECT ${phoneOptedOutSql(sql`${churchId}::int`, sql`${phone}::text`)} AS out`);
  return r?.out ?? false;
}
