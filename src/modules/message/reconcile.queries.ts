import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { intArray } from '../../db/sql.js';

/**
 * The reconciler's SQL (worker/reconciler.ts). A SENT recipient is due when it was never asked
 * about and was sent `afterS` ago (message_recipients_reconcile_new_idx), or when the time set at
 * its last check has come (message_recipients_reconcile_due_idx).
 */

export interface ReconcileClaim {
  id: number;
  messageId: number;
  churchId: number;
  providerSid: string | null;
  /** checks made before this one */
  checks: number;
  sentAt: Date;
  /** sent longer ago than the horizon: this is the last question before UNCONFIRMED */
  pastHorizon: boolean;
}

/**
 * Takes up to `limit` due recipients for this worker: locked with SKIP LOCKED (a concurrent claim
 * takes others, never the same), then leased by moving reconcile_at `leaseS` ahead, so after this
 * statement commits no other worker finds them due until the lease ends.
 */
export async function claimForReconcile(
  db: Queryable,
  o: { afterS: number; horizonS: number; leaseS: number; limit: number },
): Promise<ReconcileClaim[]> {
  const sentBefore = sql`now() - make_interval(secs => ${o.afterS})`;
  const rows = await db.execute<{
    id: number;
    message_id: number;
    church_id: number;
    provider_sid: string | null;
    reconcile_checks: number;
    /** text (src/db/sql.ts); never null: status 'sent' is only written with sent_at */
    sent_at: string;
    past_horizon: boolean;
  }>(sql`
    WITH due AS (
      (SELECT id FROM message_recipients WHERE status = 'sent' AND reconcile_at IS NULL AND sent_at <= ${sentBefore}
       ORDER BY sent_at LIMIT ${o.limit})
      UNION ALL
      (SELECT id FROM message_recipients WHERE status = 'sent' AND reconcile_at IS NOT NULL AND reconcile_at <= now()
       ORDER BY reconcile_at LIMIT ${o.limit})
    ), locked AS (
      -- the conditions again: a row another worker claimed meanwhile is re-read when locked
      SELECT r.id FROM message_recipients r
      WHERE r.id IN (SELECT id FROM due) AND r.status = 'sent'
        AND ((r.reconcile_at IS NULL AND r.sent_at <= ${sentBefore}) OR r.reconcile_at <= now())
      ORDER BY r.id
      LIMIT ${o.limit}
      FOR UPDATE OF r SKIP LOCKED
    )
    UPDATE message_recipients r SET reconcile_at = now() + make_interval(secs => ${o.leaseS})
    FROM locked WHERE r.id = locked.id
    RETURNING r.id, r.message_id, r.church_id, r.provider_sid, r.reconcile_checks, r.sent_at,
              r.sent_at <= now() - make_interval(secs => ${o.horizonS}) AS past_horizon`);
  return rows.map((r) => ({
    id: r.id,
    messageId: r.message_id,
    churchId: r.church_id,
    providerSid: r.provider_sid,
    checks: r.reconcile_checks,
    sentAt: new Date(r.sent_at),
    pastHorizon: r.past_horizon,
  }));
}

/**
 * Asked, and the provider has no final word yet (or could not be asked): ask again after
 * `backoffS`, but no later than the horizon, when the answer decides.
 */
export async function rescheduleReconcile(
  db: Queryable,
  id: number,
  o: { backoffS: number; horizonS: number; providerStatus: string | null },
): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET
      reconcile_checks = reconcile_checks + 1,
      reconcile_at = least(now() + make_interval(secs => ${o.backoffS}), sent_at + make_interval(secs => ${o.horizonS})),
      provider_status = coalesce(${o.providerStatus}, provider_status)
    WHERE id = ${id} AND status = 'sent'`);
}

/** Claimed but not asked (the worker is stopping): due again now, for whichever worker is next. */
export async function releaseReconcile(db: Queryable, ids: number[]): Promise<void> {
  if (!ids.length) return;
  await db.execute(sql`
    UPDATE message_recipients SET reconcile_at = now()
    WHERE id = ANY(${intArray(ids)}) AND status = 'sent'`);
}

/** The horizon passed without a final word from the provider: UNCONFIRMED, final. */
export async function markUnconfirmed(db: Queryable, id: number, providerStatus: string | null): Promise<boolean> {
  const rows = await db.execute(sql`
    UPDATE message_recipients SET status = 'unconfirmed', reconcile_checks = reconcile_checks + 1, reconcile_at = NULL,
      provider_status = coalesce(${providerStatus}, provider_status), updated_at = now()
    WHERE id = ${id} AND status = 'sent'
    RETURNING id`);
  return rows.length > 0;
}
