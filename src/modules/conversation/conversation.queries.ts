import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { ConversationDirection, ConversationState, RecipientStatus } from '../../db/schema/index.js';
import { intArray } from '../../db/sql.js';

/** A conversation as read (raw: timestamps as text; activity_us is the keyset's exact instant). */
export interface ConversationRow {
  id: number;
  churchId: number;
  phone: string;
  state: ConversationState;
  unreadCount: number;
  assigneeId: number | null;
  lastActivityAt: Date;
  lastInboundAt: Date | null;
  createdAt: Date;
  /** last_activity_at in µs since the epoch, as text: the cursor (a Date would lose the µs) */
  activityUs: string;
}

type RawConversation = {
  id: number;
  church_id: number;
  phone: string;
  state: ConversationState;
  unread_count: number;
  assignee_id: number | null;
  last_activity_at: string;
  last_inbound_at: string | null;
  created_at: string;
  activity_us: string;
};

const COLUMNS = sql.raw(`c.id, c.church_id, c.phone, c.state, c.unread_count, c.assignee_id, c.last_activity_at, c.last_inbound_at, c.created_at,
  (extract(epoch FROM c.last_activity_at) * 1000000)::bigint::text AS activity_us`);

const toRow = (r: RawConversation): ConversationRow => ({
  id: r.id,
  churchId: r.church_id,
  phone: r.phone,
  state: r.state,
  unreadCount: r.unread_count,
  assigneeId: r.assignee_id,
  lastActivityAt: new Date(r.last_activity_at),
  lastInboundAt: r.last_inbound_at ? new Date(r.last_inbound_at) : null,
  createdAt: new Date(r.created_at),
  activityUs: r.activity_us,
});

export async function conversationsByIds(db: Queryable, ids: readonly number[], churchIds: readonly number[]): Promise<ConversationRow[]> {
  if (!ids.length || !churchIds.length) return [];
  const rows = await db.execute<RawConversation>(sql`
    SELECT ${COLUMNS} FROM conversations c WHERE c.id = ANY(${intArray(ids)}) AND c.church_id = ANY(${intArray(churchIds)})`);
  return rows.map(toRow);
}

/** The conversation of (church, number), if there is one (conversations_church_phone_key). */
export async function conversationByPhone(db: Queryable, churchId: number, phone: string): Promise<ConversationRow | undefined> {
  const [r] = await db.execute<RawConversation>(sql`SELECT ${COLUMNS} FROM conversations c WHERE c.church_id = ${churchId} AND c.phone = ${phone}`);
  return r ? toRow(r) : undefined;
}

/** The inbound text of this provider id in the church (conversation_messages_sid_key). */
export async function inboundIdBySid(db: Queryable, churchId: number, sid: string): Promise<number | undefined> {
  const [r] = await db.execute<{ id: number }>(sql`SELECT id FROM conversation_messages WHERE provider_sid = ${sid} AND church_id = ${churchId}`);
  return r?.id;
}

export interface ConversationFilter {
  state?: ConversationState;
  assigneeId?: number;
  unread?: boolean;
}

/**
 * conversations(churchId): latest activity first, keyset (last_activity_at, id) DESC. Each filter
 * has an index that serves the order: state (conversations_church_state_idx), assignee
 * (…_assignee_idx), unread (…_unread_idx, partial), none (…_activity_idx). The indexes are DESC NULLS
 * LAST (drizzle's DESC): the ORDER BY must say so too, or PostgreSQL sorts instead of walking them.
 */
export async function pageConversations(
  db: Queryable,
  churchId: number,
  f: ConversationFilter,
  limit: number,
  after?: readonly [string, number],
): Promise<ConversationRow[]> {
  const where: SQL[] = [sql`c.church_id = ${churchId}`];
  if (f.state) where.push(sql`c.state = ${f.state}`);
  if (f.assigneeId !== undefined) where.push(sql`c.assignee_id = ${f.assigneeId}`);
  if (f.unread === true) where.push(sql`c.unread_count > 0`);
  if (f.unread === false) where.push(sql`c.unread_count = 0`);
  if (after) {
    where.push(sql`(c.last_activity_at, c.id) < (timestamptz 'epoch' + ${after[0]}::bigint * interval '1 microsecond', ${after[1]})`);
  }
  const rows = await db.execute<RawConversation>(sql`
    SELECT ${COLUMNS} FROM conversations c WHERE ${sql.join(where, sql` AND `)}
    ORDER BY c.last_activity_at DESC NULLS LAST, c.id DESC NULLS LAST LIMIT ${limit}`);
  return rows.map(toRow);
}

export async function countConversations(db: Queryable, churchId: number, f: ConversationFilter): Promise<number> {
  const where: SQL[] = [sql`church_id = ${churchId}`];
  if (f.state) where.push(sql`state = ${f.state}`);
  if (f.assigneeId !== undefined) where.push(sql`assignee_id = ${f.assigneeId}`);
  if (f.unread === true) where.push(sql`unread_count > 0`);
  if (f.unread === false) where.push(sql`unread_count = 0`);
  const [r] = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM conversations WHERE ${sql.join(where, sql` AND `)}`);
  return r?.n ?? 0;
}

/** The conversation of (church, phone), made if new; locked for this transaction (duplicate webhooks queue here). */
export async function lockConversation(db: Queryable, churchId: number, phone: string): Promise<{ id: number; created: boolean }> {
  const [r] = await db.execute<{ id: number; created: boolean }>(sql`
    INSERT INTO conversations (church_id, phone) VALUES (${churchId}, ${phone})
    ON CONFLICT (church_id, phone) DO UPDATE SET phone = excluded.phone
    RETURNING id, (xmax = 0) AS created`);
  return r!;
}

/** An inbound text, once per provider id; null: already recorded (a webhook delivered again). */
export async function insertInbound(db: Queryable, row: { churchId: number; conversationId: number; body: string; sid: string }): Promise<number | null> {
  const [r] = await db.execute<{ id: number }>(sql`
    INSERT INTO conversation_messages (church_id, conversation_id, direction, body, provider_sid)
    VALUES (${row.churchId}, ${row.conversationId}, 'inbound', ${row.body}, ${row.sid})
    ON CONFLICT (provider_sid) WHERE provider_sid IS NOT NULL DO NOTHING
    RETURNING id`);
  return r?.id ?? null;
}

export async function touchInbound(db: Queryable, conversationId: number): Promise<void> {
  await db.execute(sql`
    UPDATE conversations SET unread_count = unread_count + 1, last_activity_at = now(), last_inbound_at = now(), state = 'open'
    WHERE id = ${conversationId}`);
}

/**
 * A new conversation's context: the latest texts sent to that number's members before it began,
 * linked into the thread (at most `limit` per member, newest first by message_recipients_member_idx;
 * once, when the conversation is made — later sends are linked as they are written).
 */
export async function linkEarlierTexts(db: Queryable, churchId: number, conversationId: number, phone: string, limit: number): Promise<void> {
  await db.execute(sql`
    INSERT INTO conversation_messages (church_id, conversation_id, direction, body, message_id, recipient_id, recipient_created_at, author_id, created_at)
    SELECT ${churchId}, ${conversationId}, 'outbound', coalesce(t.body, m.body), m.id, t.id, t.created_at, m.author_id, coalesce(t.sent_at, t.created_at)
    FROM members p
    CROSS JOIN LATERAL (
      SELECT r.id, r.message_id, r.created_at, r.body, r.sent_at FROM message_recipients r
      WHERE r.member_id = p.id AND r.phone = ${phone} AND r.provider_sid IS NOT NULL
      ORDER BY r.id DESC LIMIT ${limit}
    ) t
    JOIN messages m ON m.id = t.message_id AND m.created_at = t.created_at
    WHERE p.church_id = ${churchId} AND p.phone = ${phone}
    ORDER BY t.id
    ON CONFLICT DO NOTHING`);
}

/** A staff reply's thread row, linked to its outbox row. */
export async function insertReply(
  db: Queryable,
  row: { churchId: number; conversationId: number; body: string; messageId: number; recipientId: number; authorId: number },
): Promise<number> {
  const [r] = await db.execute<{ id: number }>(sql`
    INSERT INTO conversation_messages (church_id, conversation_id, direction, body, message_id, recipient_id, recipient_created_at, author_id, created_at)
    SELECT ${row.churchId}, ${row.conversationId}, 'outbound', ${row.body}, ${row.messageId}, ${row.recipientId}, m.created_at, ${row.authorId}, m.created_at
    FROM messages m WHERE m.id = ${row.messageId}
    RETURNING id`);
  return r!.id;
}

/** Staff replied: the conversation is read and active now. */
export async function touchReply(db: Queryable, conversationId: number): Promise<void> {
  await db.execute(sql`UPDATE conversations SET unread_count = 0, last_activity_at = now() WHERE id = ${conversationId}`);
}

export async function updateConversation(
  db: Queryable,
  id: number,
  patch: { state?: ConversationState; assigneeId?: number | null; read?: true },
): Promise<boolean> {
  const sets: SQL[] = [];
  if (patch.state) sets.push(sql`state = ${patch.state}`);
  if (patch.assigneeId !== undefined) sets.push(sql`assignee_id = ${patch.assigneeId}`);
  if (patch.read) sets.push(sql`unread_count = 0`);
  if (!sets.length) return false;
  const rows = await db.execute(sql`UPDATE conversations SET ${sql.join(sets, sql`, `)} WHERE id = ${id} RETURNING id`);
  return rows.length > 0;
}

/** One text of a thread. */
export interface ThreadMessage {
  id: number;
  churchId: number;
  conversationId: number;
  direction: ConversationDirection;
  body: string;
  messageId: number | null;
  authorId: number | null;
  createdAt: Date;
  status: RecipientStatus | null;
  sentAt: Date | null;
  deliveredAt: Date | null;
  memberId: number | null;
}

const toMessage = (r: RawThread): ThreadMessage => ({
  id: r.id,
  churchId: r.church_id,
  conversationId: r.conversation_id,
  direction: r.direction,
  body: r.body,
  messageId: r.message_id,
  authorId: r.author_id,
  createdAt: new Date(r.created_at),
  status: r.status,
  sentAt: r.sent_at ? new Date(r.sent_at) : null,
  deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
  memberId: r.member_id,
});

type RawThread = {
  id: number;
  church_id: number;
  conversation_id: number;
  direction: ConversationDirection;
  body: string;
  message_id: number | null;
  author_id: number | null;
  created_at: string;
  /** outbound: its recipient row's status now; null when inbound or when the row was archived */
  status: RecipientStatus | null;
  sent_at: string | null;
  delivered_at: string | null;
  member_id: number | null;
};

/**
 * A thread, oldest first, keyset by id (conversation_messages_thread_idx). An outbound text's
 * status is one probe of message_recipients' primary key (id, created_at) with both columns, so
 * each probe opens that text's month only (run-time pruning); nothing scans the months.
 */
export async function pageThread(db: Queryable, conversationId: number, churchIds: readonly number[], limit: number, afterId?: number): Promise<ThreadMessage[]> {
  const rows = await db.execute<RawThread>(sql`
    SELECT cm.id, cm.church_id, cm.conversation_id, cm.direction, cm.body, cm.message_id, cm.author_id, cm.created_at,
           r.status, r.sent_at, r.delivered_at, r.member_id
    FROM conversation_messages cm
    LEFT JOIN message_recipients r ON r.id = cm.recipient_id AND r.created_at = cm.recipient_created_at
    WHERE cm.conversation_id = ${conversationId} AND cm.church_id = ANY(${intArray(churchIds)}) ${afterId ? sql`AND cm.id > ${afterId}` : sql``}
    ORDER BY cm.id LIMIT ${limit}`);
  return rows.map(toMessage);
}

export async function countThread(db: Queryable, conversationId: number): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM conversation_messages WHERE conversation_id = ${conversationId}`);
  return r?.n ?? 0;
}

export async function threadRow(db: Queryable, id: number, churchId: number): Promise<ThreadMessage | undefined> {
  const [r] = await db.execute<RawThread>(sql`
    SELECT cm.id, cm.church_id, cm.conversation_id, cm.direction, cm.body, cm.message_id, cm.author_id, cm.created_at,
           r.status, r.sent_at, r.delivered_at, r.member_id
    FROM conversation_messages cm
    LEFT JOIN message_recipients r ON r.id = cm.recipient_id AND r.created_at = cm.recipient_created_at
    WHERE cm.id = ${id} AND cm.church_id = ${churchId}`);
  return r && toMessage(r);
}

/** Members holding these numbers in the church (members_church_phone_idx), household heads first. */
export async function membersByPhones(
  db: Queryable,
  keys: ReadonlyArray<{ churchId: number; phone: string }>,
  churchIds: readonly number[],
): Promise<Array<{ church_id: number; phone: string; id: number }>> {
  if (!keys.length || !churchIds.length) return [];
  return db.execute<{ church_id: number; phone: string; id: number }>(sql`
    SELECT m.church_id, m.phone, m.id FROM members m
    JOIN unnest(${intArray(keys.map((k) => k.churchId))}, string_to_array(${keys.map((k) => k.phone).join(',')}, ',')) AS k(church_id, phone)
      ON m.church_id = k.church_id AND m.phone = k.phone
    WHERE m.archived_at IS NULL AND m.church_id = ANY(${intArray(churchIds)})
    ORDER BY (m.household_role = 'head') DESC NULLS LAST, m.id`);
}

/** Is this user STAFF or above in the church (an assignee must be)? */
export async function isChurchStaff(db: Queryable, churchId: number, userId: number): Promise<boolean> {
  const rows = await db.execute(sql`
    SELECT 1 FROM church_roles cu JOIN users u ON u.id = cu.user_id
    WHERE cu.church_id = ${churchId} AND cu.user_id = ${userId} AND cu.role IN ('staff', 'admin', 'owner') AND u.deactivated_at IS NULL`);
  return rows.length > 0;
}
