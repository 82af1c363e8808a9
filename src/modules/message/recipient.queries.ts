import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { RecipientStatus } from '../../db/schema/index.js';
import { intArray } from '../../db/sql.js';

/**
 * The recipient state machine, shared by the worker (sending) and the API (status callbacks,
 * cancel). Every transition is one conditional UPDATE, so concurrent actors cannot both win.
 *
 *   queued ─claim─► sending ─provider accepted─► sent ─callback─► delivered | undelivered | failed
 *     │                │ (outcome unknown: lease ends, next claim asks the provider first)
 *     └─cancel─► cancelled      └─permanent error─► failed        skipped: decided at send time
 */
export const FINAL: RecipientStatus[] = ['delivered', 'undelivered', 'failed', 'skipped', 'cancelled'];

const RANK_SQL = (col: string) =>
  sql.raw(`(CASE ${col} WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END)`);

export interface ClaimedRecipient {
  id: number;
  messageId: number;
  churchId: number;
  memberId: number;
  phone: string;
  attempts: number;
  /** the status before this claim: 'sending' means an earlier attempt's outcome is unknown */
  previousStatus: RecipientStatus;
  /** someone holding this number opted out since the message was written: do not send */
  optedOut: boolean;
  sendingAt: Date;
  body: string;
  fromNumber: string;
  urgent: boolean;
  timeZone: string;
}

/**
 * Takes a recipient for sending: only if queued, or stuck in sending past its lease, and the
 * message is not cancelled. The lease keeps every other worker off it while the provider is called.
 */
export async function claimRecipient(db: Queryable, id: number, leaseS: number): Promise<ClaimedRecipient | null> {
  const rows = await db.execute<Record<string, unknown>>(sql`
    WITH prev AS (
      SELECT r.id, r.status FROM message_recipients r
      JOIN messages m ON m.id = r.message_id AND m.cancelled_at IS NULL
      WHERE r.id = ${id} AND (r.status = 'queued' OR (r.status = 'sending' AND r.lease_until < now()))
      FOR UPDATE OF r SKIP LOCKED
    )
    UPDATE message_recipients r SET
      status = 'sending',
      attempts = r.attempts + 1,
      lease_until = now() + make_interval(secs => ${leaseS}),
      sending_at = CASE WHEN prev.status = 'queued' THEN now() ELSE coalesce(r.sending_at, now()) END,
      updated_at = now()
    FROM prev, messages m, churches c
    WHERE r.id = prev.id AND m.id = r.message_id AND c.id = r.church_id
    RETURNING r.id, r.message_id, r.church_id, r.member_id, r.phone, r.attempts, prev.status AS previous_status,
              r.sending_at, m.body, m.from_number, m.urgent, c.time_zone,
              EXISTS (SELECT 1 FROM members o WHERE o.church_id = r.church_id AND o.phone = r.phone AND o.sms_opted_out_at IS NOT NULL) AS opted_out`);
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id as number,
    messageId: r.message_id as number,
    churchId: r.church_id as number,
    memberId: r.member_id as number,
    phone: r.phone as string,
    attempts: r.attempts as number,
    previousStatus: r.previous_status as RecipientStatus,
    optedOut: r.opted_out as boolean,
    sendingAt: new Date(r.sending_at as string),
    body: r.body as string,
    fromNumber: r.from_number as string,
    urgent: r.urgent as boolean,
    timeZone: r.time_zone as string,
  };
}

export interface RecipientState {
  status: RecipientStatus;
  leaseUntil: Date | null;
  cancelled: boolean;
  attempts: number;
}

export async function recipientState(db: Queryable, id: number): Promise<RecipientState | null> {
  const rows = await db.execute<Record<string, unknown>>(sql`
    SELECT r.status, r.lease_until, r.attempts, m.cancelled_at IS NOT NULL AS cancelled
    FROM message_recipients r JOIN messages m ON m.id = r.message_id WHERE r.id = ${id}`);
  const r = rows[0];
  if (!r) return null;
  return {
    status: r.status as RecipientStatus,
    leaseUntil: r.lease_until ? new Date(r.lease_until as string) : null,
    cancelled: r.cancelled as boolean,
    attempts: r.attempts as number,
  };
}

/** The provider accepted the text: record its id (only while we still hold the recipient). */
export async function markSent(db: Queryable, id: number, sid: string, providerStatus: string): Promise<boolean> {
  const rows = await db.execute(sql`
    UPDATE message_recipients SET status = 'sent', provider_sid = ${sid}, provider_status = ${providerStatus},
      sent_at = now(), lease_until = NULL, error_code = NULL, error_message = NULL, updated_at = now()
    WHERE id = ${id} AND status = 'sending'
    RETURNING id`);
  return rows.length > 0;
}

export async function markFailed(db: Queryable, id: number, code: string | null, message: string): Promise<boolean> {
  const rows = await db.execute(sql`
    UPDATE message_recipients SET status = 'failed', failed_at = now(), lease_until = NULL,
      error_code = ${code}, error_message = ${message.slice(0, 500)}, updated_at = now()
    WHERE id = ${id} AND status IN ('queued', 'sending')
    RETURNING id`);
  return rows.length > 0;
}

/** Consent was withdrawn after the message was written. */
export async function markSkipped(db: Queryable, id: number, reason: string): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET status = 'skipped', reason = ${reason}, lease_until = NULL, updated_at = now()
    WHERE id = ${id} AND status = 'sending'`);
}

/** An operator retries a failed send: the recipient is queued again (only if it is still failed). */
export async function requeueFailed(db: Queryable, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await db.execute<{ id: number }>(sql`
    UPDATE message_recipients SET status = 'queued', lease_until = NULL, sending_at = NULL, failed_at = NULL, updated_at = now()
    WHERE id = ANY(${intArray(ids)}) AND status = 'failed' AND provider_sid IS NULL
    RETURNING id`);
  return rows.map((r) => r.id);
}

/** Nothing reached the provider: back to queued, for the queue's next attempt. */
export async function releaseUnsent(db: Queryable, id: number, code: string | null, message: string): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET status = 'queued', lease_until = NULL, sending_at = NULL,
      error_code = ${code}, error_message = ${message.slice(0, 500)}, updated_at = now()
    WHERE id = ${id} AND status = 'sending'`);
}

/** The outcome is unknown: keep 'sending' but end the lease, so the next attempt asks the provider first. */
export async function releaseUnknown(db: Queryable, id: number, code: string | null, message: string): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET lease_until = now(), error_code = ${code}, error_message = ${message.slice(0, 500)}, updated_at = now()
    WHERE id = ${id} AND status = 'sending'`);
}

/** Outside the sending window: back to queued, untouched attempts (the claim is undone). */
export async function deferRecipient(db: Queryable, id: number): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET status = 'queued', attempts = greatest(attempts - 1, 0), lease_until = NULL,
      sending_at = NULL, updated_at = now()
    WHERE id = ${id} AND status = 'sending'`);
}

export interface StatusUpdate {
  id: number;
  messageId: number;
  churchId: number;
  memberId: number;
  status: RecipientStatus;
  attempts: number;
}

/**
 * A provider status report, applied only forward (a late 'sent' never overwrites 'delivered') and
 * idempotently (a repeat changes nothing and returns null).
 */
export async function applyProviderStatus(
  db: Queryable,
  sid: string,
  status: 'sent' | 'delivered' | 'undelivered' | 'failed',
  providerStatus: string,
  errorCode: string | null,
  /** from the callback URL: the recipient and attempt the text was sent for */
  attempt?: { recipientId: number; attempts: number },
): Promise<StatusUpdate | null> {
  // By provider id; or, before the worker has recorded that id, by recipient and attempt.
  const match = attempt
    ? sql`r.id = ${attempt.recipientId} AND r.attempts = ${attempt.attempts} AND (r.provider_sid = ${sid} OR (r.provider_sid IS NULL AND r.status = 'sending'))`
    : sql`r.provider_sid = ${sid}`;
  const rows = await db.execute<Record<string, unknown>>(sql`
    UPDATE message_recipients r SET
      status = ${status}::recipient_status,
      provider_sid = ${sid},
      provider_status = ${providerStatus},
      -- a callback can beat the worker's own record of the send
      sent_at = coalesce(r.sent_at, now()),
      delivered_at = CASE WHEN ${status} = 'delivered' THEN now() ELSE r.delivered_at END,
      failed_at = CASE WHEN ${status} IN ('undelivered', 'failed') THEN now() ELSE r.failed_at END,
      error_code = coalesce(${errorCode}, r.error_code),
      lease_until = NULL,
      updated_at = now()
    WHERE ${match} AND ${RANK_SQL('r.status')} < ${RANK_SQL(`'${status}'`)}
    RETURNING r.id, r.message_id, r.church_id, r.member_id, r.status, r.attempts`);
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id as number,
    messageId: r.message_id as number,
    churchId: r.church_id as number,
    memberId: r.member_id as number,
    status: r.status as RecipientStatus,
    attempts: r.attempts as number,
  };
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
  const rows = await db.execute<Record<string, unknown>>(sql`
    SELECT r.id, r.message_id, r.church_id, r.attempts, m.send_at
    FROM message_recipients r JOIN messages m ON m.id = r.message_id
    WHERE r.status IN ('queued', 'sending')
      AND r.updated_at < now() - make_interval(secs => ${olderThanS})
      AND m.cancelled_at IS NULL
      AND (r.status = 'queued' OR r.lease_until < now())
    ORDER BY r.updated_at
    LIMIT ${limit}`);
  return rows.map((r) => ({
    id: r.id as number,
    messageId: r.message_id as number,
    churchId: r.church_id as number,
    attempts: r.attempts as number,
    sendAt: new Date(r.send_at as string),
  }));
}

export type DeliveryCounts = Record<RecipientStatus, number> & { total: number };

export function emptyCounts(): DeliveryCounts {
  return { queued: 0, sending: 0, sent: 0, delivered: 0, undelivered: 0, failed: 0, skipped: 0, cancelled: 0, total: 0 };
}

/** Delivery counts of several messages in one statement (message_recipients_message_status_idx). */
export async function countsByMessage(db: Queryable, messageIds: readonly number[]): Promise<Map<number, DeliveryCounts>> {
  const rows = await db.execute<{ message_id: number; status: RecipientStatus; n: number }>(sql`
    SELECT message_id, status, count(*)::int AS n FROM message_recipients
    WHERE message_id = ANY(${intArray(messageIds)}) GROUP BY message_id, status`);
  const out = new Map<number, DeliveryCounts>(messageIds.map((id) => [id, emptyCounts()]));
  for (const r of rows) {
    const c = out.get(r.message_id)!;
    c[r.status] = r.n;
    c.total += r.n;
  }
  return out;
}

/** Messages with nothing left queued or sending become completed; scheduled ones that started, sending. */
export async function settleMessages(db: Queryable, messageIds: readonly number[]): Promise<void> {
  await db.execute(sql`
    UPDATE messages m SET
      status = CASE WHEN EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.status IN ('queued', 'sending'))
                    THEN 'sending'::message_status ELSE 'completed'::message_status END,
      completed_at = CASE WHEN EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.status IN ('queued', 'sending'))
                    THEN NULL ELSE coalesce(m.completed_at, now()) END
    WHERE m.id = ANY(${intArray(messageIds)}) AND m.status IN ('scheduled', 'sending', 'completed') AND m.send_at <= now()`);
}

/** Records an opt-out for every member of a church holding a phone number (STOP, or Twilio 21610). */
export async function optOutPhone(db: Queryable, churchId: number, phone: string, via: string): Promise<number[]> {
  const rows = await db.execute<{ id: number }>(sql`
    UPDATE members SET sms_opted_out_at = coalesce(sms_opted_out_at, now()), sms_opt_out_via = coalesce(sms_opt_out_via, ${via}), updated_at = now()
    WHERE church_id = ${churchId} AND phone = ${phone} AND sms_opted_out_at IS NULL
    RETURNING id`);
  return rows.map((r) => r.id);
}

export async function optInPhone(db: Queryable, churchId: number, phone: string): Promise<number[]> {
  const rows = await db.execute<{ id: number }>(sql`
    UPDATE members SET sms_opted_out_at = NULL, sms_opt_out_via = NULL, updated_at = now()
    WHERE church_id = ${churchId} AND phone = ${phone} AND sms_opted_out_at IS NOT NULL
    RETURNING id`);
  return rows.map((r) => r.id);
}
