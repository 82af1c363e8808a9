import { eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { messageRecipients, messages, type RecipientStatus } from '../../db/schema/index.js';
import { intArray } from '../../db/sql.js';
import type { CallbackTag } from '../../sms/callback-tag.js';
import { FINAL_STATUSES, OPEN_STATUSES, rankSql, statusList } from '../../delivery/status.js';
import { phoneOptedOutSql } from '../member/consent.queries.js';
import { monthStart } from '../../db/partitions.js';

/**
 * The recipient state machine, shared by the worker (sending) and the API (status callbacks,
 * cancel). Every transition is one conditional UPDATE, so concurrent actors cannot both win.
 *
 *   queued ─claim─► sending ─provider accepted─► sent ─callback─► delivered | undelivered | failed
 *     │                │ (outcome unknown: lease ends, next claim asks the provider first)
 *     └─cancel─► cancelled      └─permanent error─► failed        skipped: decided at send time
 *                                 sent ─no word from the provider by the horizon─► unconfirmed
 *
 * "Ask the provider first" is remembered in provider_check_since, not in the status: a refused
 * attempt (429), quiet hours and an operator's retry send the recipient back to queued, and the
 * text of the attempt whose outcome was unknown may still turn up at the provider after that. Only
 * a known outcome (a provider id recorded: markSent, applyProviderStatus) clears it.
 */
// which statuses are final (SENT is not: worker/reconciler.ts asks the provider, UNCONFIRMED ends it)
export const FINAL: readonly RecipientStatus[] = FINAL_STATUSES;

const RANK_SQL = rankSql;

export interface ClaimedRecipient {
  id: number;
  messageId: number;
  churchId: number;
  /** null: a reply to a number no member holds */
  memberId: number | null;
  phone: string;
  attempts: number;
  /** the status before this claim: 'sending' means an earlier attempt's outcome is unknown */
  previousStatus: RecipientStatus;
  /**
   * An earlier attempt's outcome is unknown: look at the provider for a text created since then
   * before sending (null: no attempt since the last known outcome may have reached the provider).
   */
  checkProviderSince: Date | null;
  /** someone holding this number opted out since the message was written: do not send */
  optedOut: boolean;
  sendingAt: Date;
  /** sending_at in µs: the sending episode this attempt belongs to (src/sms/callback-tag.ts) */
  episode: string;
  body: string;
  fromNumber: string;
  urgent: boolean;
  timeZone: string;
}

/** The claim's RETURNING, as db.execute delivers it: snake_case keys, timestamps as text (src/db/sql.ts). */
type ClaimRow = {
  id: number;
  message_id: number;
  church_id: number;
  member_id: number | null;
  /** never null here: a recipient without a phone is written skipped (message.service.ts), never queued */
  phone: string;
  attempts: number;
  /** the claim takes only these */
  previous_status: 'queued' | 'sending';
  provider_check_since: string | null;
  /** this claim sets it when null */
  sending_at: string;
  episode: string;
  body: string;
  from_number: string;
  urgent: boolean;
  time_zone: string;
  opted_out: boolean;
};

/**
 * Statements keyed by recipient id test the status as text. message_recipients_pending_idx covers
 * the queued and sending rows (the sweeper's); its statistics are taken when hardly any row is
 * pending (a send of 10,000 inserts them all at once), so PostgreSQL believes it empty and, when
 * the status test implies its predicate, prefers walking it (every pending row) to one primary-key
 * probe: 10,000 rows per claim during a 10,000-text send. The planner cannot see through the cast.
 */
const statusIs = (s: RecipientStatus, column = 'r.status') => sql.raw(`${column}::text = '${s}'`);

/** Messages' months (UTC month start of created_at, which never changes), remembered per process. */
const MONTHS = new Map<number, Date>();
const MONTHS_KEPT = 10_000;

/**
 * The month of message_recipients a message's rows are in (src/db/partitions.ts): one lookup per
 * message per process (a send of 10,000 looks once), then from memory. Undefined: no such message.
 */
export async function messageMonth(db: Queryable, messageId: number): Promise<Date | undefined> {
  const known = MONTHS.get(messageId);
  if (known) return known;
  const [row] = await db.execute<{ month: string }>(
    sql`SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM messages WHERE id = ${messageId}`,
  );
  if (!row) return undefined;
  const month = new Date(`${row.month}-01T00:00:00Z`);
  if (MONTHS.size >= MONTHS_KEPT) MONTHS.delete(MONTHS.keys().next().value!);
  MONTHS.set(messageId, month);
  return month;
}

/**
 * That month only: a created_at range given as parameters, so PostgreSQL prunes the other months'
 * partitions before it runs the statement (before it even opens them). Without a month, every
 * month's index is probed for the ids.
 */
export function monthOf(month: Date | undefined) {
  if (!month) return sql``;
  return sql`AND r.created_at >= ${month.toISOString()}::timestamptz AND r.created_at < ${monthStart(month, 1).toISOString()}::timestamptz`;
}

/**
 * The months of these messages as one created_at range (the first's start to the last's end), as
 * parameters: PostgreSQL prunes the months outside it before it opens them. Empty when a message is
 * not found (then nothing is pruned).
 */
async function monthsRange(db: Queryable, messageIds: readonly number[], column = 'r.created_at') {
  const months = await Promise.all(messageIds.map((id) => messageMonth(db, id)));
  if (!months.length || months.some((m) => m === undefined)) return sql``;
  const times = (months as Date[]).map((m) => m.getTime());
  const from = new Date(Math.min(...times));
  const to = monthStart(new Date(Math.max(...times)), 1);
  return sql`AND ${sql.raw(column)} >= ${from.toISOString()}::timestamptz AND ${sql.raw(column)} < ${to.toISOString()}::timestamptz`;
}

const monthOfMessage = async (db: Queryable, messageId: number | undefined) => (messageId === undefined ? undefined : messageMonth(db, messageId));

/**
 * Takes recipients for sending, each only if queued, or stuck in sending past its lease, and its
 * message is not cancelled; a row another transaction holds is skipped (someone else is on it).
 * The lease keeps every other worker off a claimed row while the provider is called. One
 * statement for many (worker/handlers/send-sms.handler.ts batches concurrent jobs' claims); the result has an
 * entry for each id claimed, none for the others. With `messageId` (all the ids are its recipients:
 * the worker's jobs say whose), only that message's month is read (monthOf).
 */
export async function claimRecipients(db: Queryable, ids: readonly number[], leaseS: number, messageId?: number): Promise<Map<number, ClaimedRecipient>> {
  const out = new Map<number, ClaimedRecipient>();
  if (!ids.length) return out;
  const month = await monthOfMessage(db, messageId);
  const rows = await db.execute<ClaimRow>(sql`
    WITH prev AS (
      SELECT r.id, r.status FROM message_recipients r
      JOIN messages m ON m.id = r.message_id AND m.cancelled_at IS NULL
      WHERE r.id = ANY(${intArray(ids)}) ${monthOf(month)} AND (${statusIs('queued')} OR (${statusIs('sending')} AND r.lease_until < now()))
      FOR UPDATE OF r SKIP LOCKED
    )
    UPDATE message_recipients r SET
      status = 'sending',
      attempts = r.attempts + 1,
      lease_until = now() + make_interval(secs => ${leaseS}),
      sending_at = CASE WHEN prev.status = 'queued' THEN now() ELSE coalesce(r.sending_at, now()) END,
      -- still 'sending' with its lease gone: that attempt was killed mid-send, its outcome unknown
      provider_check_since = CASE WHEN prev.status = 'sending' THEN coalesce(r.provider_check_since, r.sending_at, now())
                                  ELSE r.provider_check_since END,
      updated_at = now()
    FROM prev, messages m, churches c
    WHERE r.id = prev.id ${monthOf(month)} AND m.id = r.message_id AND c.id = r.church_id
    RETURNING r.id, r.message_id, r.church_id, r.member_id, r.phone, r.attempts, prev.status AS previous_status, r.provider_check_since,
              r.sending_at, (extract(epoch FROM r.sending_at) * 1000000)::bigint::text AS episode, coalesce(r.body, m.body) AS body, m.from_number, m.urgent, c.time_zone,
              ${phoneOptedOutSql(sql.raw('r.church_id'), sql.raw('r.phone'))} AS opted_out`);
  for (const r of rows) {
    out.set(r.id, {
      id: r.id,
      messageId: r.message_id,
      churchId: r.church_id,
      memberId: r.member_id,
      phone: r.phone,
      attempts: r.attempts,
      previousStatus: r.previous_status,
      checkProviderSince: r.provider_check_since ? new Date(r.provider_check_since) : null,
      optedOut: r.opted_out,
      sendingAt: new Date(r.sending_at),
      episode: r.episode,
      body: r.body,
      fromNumber: r.from_number,
      urgent: r.urgent,
      timeZone: r.time_zone,
    });
  }
  return out;
}

/** One recipient's claim (claimRecipients); null: not claimed. */
export async function claimRecipient(db: Queryable, id: number, leaseS: number): Promise<ClaimedRecipient | null> {
  return (await claimRecipients(db, [id], leaseS)).get(id) ?? null;
}

export interface RecipientState {
  status: RecipientStatus;
  leaseUntil: Date | null;
  cancelled: boolean;
  attempts: number;
}

export async function recipientState(db: Queryable, id: number): Promise<RecipientState | null> {
  const [r] = await db
    .select({
      status: messageRecipients.status,
      leaseUntil: messageRecipients.leaseUntil,
      cancelled: sql<boolean>`${messages.cancelledAt} IS NOT NULL`,
      attempts: messageRecipients.attempts,
    })
    .from(messageRecipients)
    .innerJoin(messages, eq(messages.id, messageRecipients.messageId))
    .where(eq(messageRecipients.id, id));
  return r ?? null;
}

export interface SentRecord {
  id: number;
  sid: string;
  providerStatus: string;
  /** the recipient's message: with all records of one message, only its month is read (monthOf) */
  messageId?: number;
}

/**
 * The provider accepted these texts: record their ids, each only while its recipient is still
 * being sent (held by us). One statement for many; returns the ids recorded.
 */
export async function markSentMany(db: Queryable, sent: readonly SentRecord[]): Promise<Set<number>> {
  const messageId = sent[0]?.messageId;
  const month = await monthOfMessage(db, messageId !== undefined && sent.every((s) => s.messageId === messageId) ? messageId : undefined);
  if (!sent.length) return new Set();
  const list = JSON.stringify(sent.map((s) => ({ id: s.id, sid: s.sid, word: s.providerStatus })));
  const rows = await db.execute<{ id: number }>(sql`
    UPDATE message_recipients r SET status = 'sent', provider_sid = v.sid, provider_status = v.word,
      sent_at = now(), lease_until = NULL, error_code = NULL, error_message = NULL, provider_check_since = NULL, updated_at = now()
    FROM jsonb_to_recordset(${list}::jsonb) AS v(id int, sid text, word text)
    WHERE r.id = ANY(${intArray(sent.map((s) => s.id))}) ${monthOf(month)} AND r.id = v.id AND ${statusIs('sending')}
    RETURNING r.id`);
  return new Set(rows.map((r) => r.id));
}

/** The provider accepted the text: record its id (only while we still hold the recipient). */
export async function markSent(db: Queryable, id: number, sid: string, providerStatus: string): Promise<boolean> {
  return (await markSentMany(db, [{ id, sid, providerStatus }])).has(id);
}

/** outcomeUnknown: this attempt may have reached the provider, so a retry of it asks first (see the top) */
export async function markFailed(db: Queryable, id: number, code: string | null, message: string, outcomeUnknown = false): Promise<boolean> {
  const check = outcomeUnknown ? sql`coalesce(provider_check_since, sending_at, now())` : sql`provider_check_since`;
  const rows = await db.execute(sql`
    UPDATE message_recipients SET status = 'failed', failed_at = now(), lease_until = NULL, provider_check_since = ${check},
      error_code = ${code}, error_message = ${message.slice(0, 500)}, updated_at = now()
    WHERE id = ${id} AND (${statusIs('queued', 'status')} OR ${statusIs('sending', 'status')})
    RETURNING id`);
  return rows.length > 0;
}

/** Consent was withdrawn after the message was written. */
export async function markSkipped(db: Queryable, id: number, reason: string): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET status = 'skipped', reason = ${reason}, lease_until = NULL, updated_at = now()
    WHERE id = ${id} AND ${statusIs('sending', 'status')}`);
}

/**
 * An operator retries a failed send: the recipient is queued again (only if it is still failed).
 * provider_check_since stays: a send that failed with an unknown outcome is looked for first.
 */
export async function requeueFailed(db: Queryable, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await db.execute<{ id: number }>(sql`
    UPDATE message_recipients SET status = 'queued', lease_until = NULL, sending_at = NULL, failed_at = NULL, updated_at = now()
    WHERE id = ANY(${intArray(ids)}) AND status = 'failed' AND provider_sid IS NULL
    RETURNING id`);
  return rows.map((r) => r.id);
}

/**
 * Nothing reached the provider in this attempt: back to queued, for the queue's next attempt.
 * provider_check_since stays: an earlier attempt's text may still turn up.
 */
export async function releaseUnsent(db: Queryable, id: number, code: string | null, message: string): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET status = 'queued', lease_until = NULL, sending_at = NULL,
      error_code = ${code}, error_message = ${message.slice(0, 500)}, updated_at = now()
    WHERE id = ${id} AND ${statusIs('sending', 'status')}`);
}

/**
 * The outcome is unknown: keep 'sending' but end the lease, and remember since when the provider
 * must be asked first (by every attempt, until an outcome is known).
 */
export async function releaseUnknown(db: Queryable, id: number, code: string | null, message: string): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET lease_until = now(), provider_check_since = coalesce(provider_check_since, sending_at, now()), error_code = ${code}, error_message = ${message.slice(0, 500)}, updated_at = now()
    WHERE id = ${id} AND ${statusIs('sending', 'status')}`);
}

/** Outside the sending window: back to queued, untouched attempts (the claim is undone; provider_check_since stays). */
export async function deferRecipient(db: Queryable, id: number): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET status = 'queued', attempts = greatest(attempts - 1, 0), lease_until = NULL,
      sending_at = NULL, updated_at = now()
    WHERE id = ${id} AND ${statusIs('sending', 'status')}`);
}

export interface StatusUpdate {
  id: number;
  messageId: number;
  churchId: number;
  memberId: number | null;
  status: RecipientStatus;
  attempts: number;
}

export interface StatusReport {
  /** the provider's id of the text */
  sid: string;
  status: 'sent' | 'delivered' | 'undelivered' | 'failed';
  /** the provider's own word, kept on the row */
  providerStatus: string;
  errorCode: string | null;
  /** from the callback URL (or the log provider): whom the text was sent to, by which attempt */
  tag?: CallbackTag;
}

/** The rows a report may touch (for batching: two reports for one row never share a statement). */
export function statusReportKeys(r: StatusReport): Array<string | number> {
  return r.tag ? [r.tag.recipientId, r.sid] : [r.sid];
}

/**
 * Provider status reports, each applied only forward (a late 'sent' never overwrites 'delivered')
 * and idempotently (a repeat changes nothing and gives null); results in the reports' order. The
 * reports with a tag (every status callback's) go in one statement; they must be for distinct rows
 * (statusReportKeys).
 *
 * Which row a report is for: the one holding that provider id, whichever attempt sent it (the
 * attempt that found an earlier attempt's text at the provider records that text's id, and its
 * reports carry the earlier attempt's number). Before any id is recorded (the report beat the
 * worker), the row the tag names, while it is still being sent in the same episode by that attempt
 * or a later one. URLs made before episodes name the very attempt only.
 *
 * The whole rule is in the UPDATE's own WHERE, on the row's columns: when the row changes under
 * the statement (the worker records the send, a new round starts), PostgreSQL evaluates it again
 * on the new version, as it did when each report was its own statement.
 */
export async function applyProviderStatuses(db: Queryable, reports: readonly StatusReport[]): Promise<Array<StatusUpdate | null>> {
  const out: Array<StatusUpdate | null> = reports.map(() => null);
  const tagged = reports.map((r, i) => ({ r, i })).filter((x) => x.r.tag);
  // without a tag (the reconciler, texts sent before tags): by the provider id alone, rare, one each
  const untagged = reports.map((r, i) => ({ r, i })).filter((x) => !x.r.tag);
  // by message: each statement reads its message's month only (monthOf); tags without one, all
  const byMessage = new Map<number | undefined, Array<{ r: StatusReport; i: number }>>();
  for (const t of tagged) {
    const k = t.r.tag!.messageId;
    const list = byMessage.get(k);
    if (list) list.push(t);
    else byMessage.set(k, [t]);
  }
  await Promise.all([
    ...[...byMessage].map(([messageId, items]) => applyTagged(db, items, out, messageId)),
    ...untagged.map(async ({ r, i }) => (out[i] = await applyBySid(db, r))),
  ]);
  return out;
}

type UpdatedRow = { id: number; message_id: number; church_id: number; member_id: number | null; status: RecipientStatus; attempts: number };
const toUpdate = (r: UpdatedRow): StatusUpdate => ({
  id: r.id,
  messageId: r.message_id,
  churchId: r.church_id,
  memberId: r.member_id,
  status: r.status,
  attempts: r.attempts,
});

/** What a report writes on the row it matched (`v`: the report). */
const REPORT_SET = sql.raw(`
      status = v.status::recipient_status,
      provider_sid = v.sid,
      provider_status = v.word,
      -- a callback can beat the worker's own record of the send
      sent_at = coalesce(r.sent_at, now()),
      delivered_at = CASE WHEN v.status = 'delivered' THEN now() ELSE r.delivered_at END,
      failed_at = CASE WHEN v.status IN ('undelivered', 'failed') THEN now() ELSE r.failed_at END,
      -- the error of this text, or none: an earlier attempt's (ECONNRESET, 20429) is no longer true
      error_code = v.code,
      error_message = NULL,
      lease_until = NULL,
      -- the provider knows this text: the outcome is known
      provider_check_since = NULL,
      updated_at = now()`);

async function applyTagged(db: Queryable, items: Array<{ r: StatusReport; i: number }>, out: Array<StatusUpdate | null>, messageId: number | undefined): Promise<void> {
  const list = JSON.stringify(
    items.map(({ r, i }) => ({
      i,
      rid: r.tag!.recipientId,
      attempt: r.tag!.attempt,
      episode: r.tag!.episode,
      sid: r.sid,
      status: r.status,
      word: r.providerStatus,
      code: r.errorCode,
    })),
  );
  const month = await monthOfMessage(db, messageId);
  // r.id = ANY(…) as well as = v.rid: the rows are probed by primary key (the planner cannot know
  // how many reports the list holds and would rather scan the table for a guessed hundred)
  const rows = await db.execute<UpdatedRow & { i: number }>(sql`
    UPDATE message_recipients r SET ${REPORT_SET}
    FROM jsonb_to_recordset(${list}::jsonb) AS v(i int, rid int, attempt int, episode bigint, sid text, status text, word text, code text)
    WHERE r.id = ANY(${intArray(items.map(({ r }) => r.tag!.recipientId))}) ${monthOf(month)} AND r.id = v.rid
      AND (r.provider_sid = v.sid
        OR (r.provider_sid IS NULL AND r.status = 'sending' AND r.attempts >= v.attempt
            AND CASE WHEN v.episode IS NOT NULL THEN (extract(epoch FROM r.sending_at) * 1000000)::bigint = v.episode
                     ELSE r.attempts = v.attempt END))
      AND ${RANK_SQL('r.status')} < ${RANK_SQL('v.status')}
    RETURNING v.i, r.id, r.message_id, r.church_id, r.member_id, r.status, r.attempts`);
  for (const r of rows) out[r.i] = toUpdate(r);
}

async function applyBySid(db: Queryable, r: StatusReport): Promise<StatusUpdate | null> {
  const [row] = await db.execute<UpdatedRow>(sql`
    UPDATE message_recipients r SET ${REPORT_SET}
    FROM (SELECT ${r.sid}::text AS sid, ${r.status}::text AS status, ${r.providerStatus}::text AS word, ${r.errorCode}::text AS code) v
    WHERE r.provider_sid = v.sid AND ${RANK_SQL('r.status')} < ${RANK_SQL('v.status')}
    RETURNING r.id, r.message_id, r.church_id, r.member_id, r.status, r.attempts`);
  return row ? toUpdate(row) : null;
}

/** One provider status report (applyProviderStatuses). */
export async function applyProviderStatus(
  db: Queryable,
  sid: string,
  status: StatusReport['status'],
  providerStatus: string,
  errorCode: string | null,
  tag?: CallbackTag,
): Promise<StatusUpdate | null> {
  const [update] = await applyProviderStatuses(db, [{ sid, status, providerStatus, errorCode, tag }]);
  return update ?? null;
}

/** A carrier failure worth another try: a new round, queued again without the old provider id. */
export async function requeueForRetry(db: Queryable, id: number): Promise<number | null> {
  const rows = await db.execute<{ attempts: number }>(sql`
    UPDATE message_recipients SET status = 'queued', provider_sid = NULL, lease_until = NULL, sending_at = NULL,
      failed_at = NULL, updated_at = now()
    WHERE id = ${id} AND status IN ('undelivered', 'failed')
    RETURNING attempts`);
  return rows[0]?.attempts ?? null;
}

export interface PendingRecipient {
  id: number;
  channel: 'sms' | 'email';
  messageId: number;
  churchId: number;
  attempts: number;
  sendAt: Date;
}

/**
 * For the sweeper: recipients that should be in the queue by now: queued and due, or sending with
 * a lease long expired. Served by message_recipients_pending_idx; bounded per sweep.
 */
export async function pendingRecipients(db: Queryable, olderThanS: number, limit: number): Promise<PendingRecipient[]> {
  // raw, not the query builder: the status list must stay literal text for PostgreSQL to match the
  // partial index's predicate (a parameter would not, once the statement has a generic plan)
  const rows = await db.execute<{ id: number; channel: 'sms' | 'email'; message_id: number; church_id: number; attempts: number; send_at: string }>(sql`
    SELECT r.id, r.channel, r.message_id, r.church_id, r.attempts, m.send_at
    FROM message_recipients r JOIN messages m ON m.id = r.message_id
    WHERE r.status IN ('queued', 'sending')
      AND r.updated_at < now() - make_interval(secs => ${olderThanS})
      AND m.cancelled_at IS NULL
      AND (r.status = 'queued' OR r.lease_until < now())
    ORDER BY r.updated_at
    LIMIT ${limit}`);
  return rows.map((r) => ({
    id: r.id,
    channel: r.channel,
    messageId: r.message_id,
    churchId: r.church_id,
    attempts: r.attempts,
    sendAt: new Date(r.send_at),
  }));
}

export type DeliveryCounts = Record<RecipientStatus, number> & { total: number };

export function emptyCounts(): DeliveryCounts {
  return { queued: 0, sending: 0, sent: 0, delivered: 0, undelivered: 0, failed: 0, skipped: 0, cancelled: 0, unconfirmed: 0, total: 0 };
}

/**
 * Delivery counts of several messages in one statement (deliveryCounts); an id not found has zeros.
 * The progress flush's (a few messages, many times a second): their months are looked up once
 * (messageMonth) and only those are opened.
 */
export async function countsByMessage(db: Queryable, messageIds: readonly number[]): Promise<Map<number, DeliveryCounts>> {
  const out = await deliveryCounts(db, messageIds, null, await monthsRange(db, messageIds));
  for (const id of messageIds) if (!out.has(id)) out.set(id, emptyCounts());
  return out;
}

/**
 * Delivery counts of several messages, only of messages in `churchIds` (the loader's scope): a
 * message of another church has no entry at all, one of the scope without recipients has zeros.
 */
export async function countsByMessageInChurches(
  db: Queryable,
  messageIds: readonly number[],
  churchIds: readonly number[],
): Promise<Map<number, DeliveryCounts>> {
  if (!churchIds.length) return new Map();
  return deliveryCounts(db, messageIds, churchIds);
}

/**
 * One statement: messages by primary key, then each one's rows in its own month only
 * (r.created_at = m.created_at: the partition is pruned per message at run time) by
 * message_recipients_message_status_idx; a message whose month has left the table
 * (src/db/partitions.ts) answers from the figures written on it then.
 */
async function deliveryCounts(
  db: Queryable,
  messageIds: readonly number[],
  churchIds: readonly number[] | null,
  range: ReturnType<typeof sql> = sql``,
): Promise<Map<number, DeliveryCounts>> {
  const out = new Map<number, DeliveryCounts>();
  if (!messageIds.length) return out;
  const inScope = churchIds ? sql`AND m.church_id = ANY(${intArray(churchIds)})` : sql``;
  const rows = await db.execute<{ message_id: number; status: RecipientStatus | null; n: number }>(sql`
    SELECT m.id AS message_id, r.status, count(r.id)::int AS n
    FROM messages m LEFT JOIN message_recipients r ON r.message_id = m.id AND r.created_at = m.created_at AND r.church_id = m.church_id ${range}
    WHERE m.id = ANY(${intArray(messageIds)}) ${inScope} AND m.delivery_summary IS NULL
    GROUP BY m.id, r.status
    UNION ALL
    SELECT m.id, s.key::recipient_status, s.value::int
    FROM messages m CROSS JOIN LATERAL jsonb_each_text(m.delivery_summary -> 'counts') s
    WHERE m.id = ANY(${intArray(messageIds)}) ${inScope} AND m.delivery_summary IS NOT NULL`);
  for (const r of rows) {
    let c = out.get(r.message_id);
    if (!c) out.set(r.message_id, (c = emptyCounts()));
    if (r.status) {
      c[r.status] = r.n;
      c.total += r.n;
    }
  }
  return out;
}

/**
 * Messages with no recipient that can still change (src/delivery/status.ts: SENT can) become
 * completed; scheduled ones that started, sending. A message already right is not written (the
 * progress flush asks five times a second during a send: each no-op would be a new row version).
 */
export async function settleMessages(db: Queryable, messageIds: readonly number[]): Promise<void> {
  const range = await monthsRange(db, messageIds);
  await db.execute(sql`
    WITH s AS (
      SELECT m.id, EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.created_at = m.created_at ${range}
                           AND r.status IN ${statusList(OPEN_STATUSES)}) AS open
      FROM messages m
      WHERE m.id = ANY(${intArray(messageIds)}) AND m.status IN ('scheduled', 'sending', 'completed') AND m.send_at <= now()
    )
    UPDATE messages m SET
      status = CASE WHEN s.open THEN 'sending'::message_status ELSE 'completed'::message_status END,
      completed_at = CASE WHEN s.open THEN NULL ELSE coalesce(m.completed_at, now()) END
    FROM s
    WHERE m.id = s.id AND m.status IN ('scheduled', 'sending', 'completed')
      AND (m.status <> CASE WHEN s.open THEN 'sending'::message_status ELSE 'completed'::message_status END
           OR (m.completed_at IS NULL) <> s.open)`);
}

/**
 * STOP (or Twilio 21610) from a number: the number is opted out in that church (sms_consents, which
 * holds for whoever has or later gets the number) and so is every member holding it now. One
 * statement, so the two cannot disagree. Returns the members newly marked.
 */
export async function optOutPhone(db: Queryable, churchId: number, phone: string, via: string): Promise<number[]> {
  const rows = await db.execute<{ id: number }>(sql`
    WITH consent AS (
      INSERT INTO sms_consents (church_id, phone, opted_out_at, via, updated_at) VALUES (${churchId}, ${phone}, now(), ${via}, now())
      ON CONFLICT (church_id, phone) DO UPDATE SET
        via = CASE WHEN sms_consents.opted_out_at IS NULL THEN EXCLUDED.via ELSE sms_consents.via END,
        opted_out_at = coalesce(sms_consents.opted_out_at, EXCLUDED.opted_out_at),
        updated_at = now()
    )
    UPDATE members SET sms_opted_out_at = coalesce(sms_opted_out_at, now()), sms_opt_out_via = coalesce(sms_opt_out_via, ${via}), updated_at = now()
    WHERE church_id = ${churchId} AND phone = ${phone} AND sms_opted_out_at IS NULL
    RETURNING id`);
  return rows.map((r) => r.id);
}

/** START from a number: the number may be texted again, and so may every member holding it. */
export async function optInPhone(db: Queryable, churchId: number, phone: string, via = 'keyword:START'): Promise<number[]> {
  const rows = await db.execute<{ id: number }>(sql`
    WITH consent AS (
      INSERT INTO sms_consents (church_id, phone, opted_out_at, via, updated_at) VALUES (${churchId}, ${phone}, NULL, ${via}, now())
      ON CONFLICT (church_id, phone) DO UPDATE SET opted_out_at = NULL, via = EXCLUDED.via, updated_at = now()
    )
    UPDATE members SET sms_opted_out_at = NULL, sms_opt_out_via = NULL, updated_at = now()
    WHERE church_id = ${churchId} AND phone = ${phone} AND sms_opted_out_at IS NOT NULL
    RETURNING id`);
  return rows.map((r) => r.id);
}
