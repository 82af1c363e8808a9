import type { Queue } from 'bullmq';
import type { Db } from '../../db/client.js';
import { anotherRoundInMs, type ProviderOutcome } from '../../delivery/status.js';
import { enqueueSms } from '../../jobs/enqueue.js';
import type { Logger } from '../../lib/logger.js';
import type { CallbackTag } from '../../sms/callback-tag.js';
import type { Clock } from '../../lib/clock.js';
import { Batcher, rowLevelSqlError } from '../../lib/batcher.js';
import { applyProviderStatuses, requeueForRetry, statusReportKeys, type StatusReport, type StatusUpdate } from './recipient.queries.js';

/** Applies one status report (applyProviderStatuses' rule), alone or batched with others. */
export type StatusWriter = (report: StatusReport) => Promise<StatusUpdate | null>;

/**
 * Concurrent reports (webhooks arriving together, the log provider's deliveries) applied in one
 * statement per batch, each caller getting its own row's outcome (src/lib/batcher.ts). Built once
 * per process by whoever receives reports.
 */
export function batchedStatusWriter(db: Db): StatusWriter {
  const batcher = new Batcher<StatusReport, StatusUpdate | null>((reports) => applyProviderStatuses(db, reports), {
    keys: statusReportKeys,
    retryAlone: rowLevelSqlError,
  });
  return (report) => batcher.load(report);
}

/**
 * What recording a delivery needs: no viewer (the provider is not a user), the database, the queue
 * for another round, and "this message changed" for progress. Built by the API for the webhooks
 * and by the worker for its reconciler and the log provider.
 */
export interface DeliveryScope {
  db: Db;
  smsQueue: Queue;
  progress: { touch(messageId: number): void };
  log: Logger;
  clock: Clock;
  /** how reports are written; default: each its own statement */
  statusWriter?: StatusWriter;
}

export interface ProviderReport {
  /** the provider's message id */
  sid: string;
  outcome: ProviderOutcome | 'sent';
  /** the provider's own word, kept on the row */
  word: string;
  errorCode: string | null;
  /** from the callback URL or the log provider: which attempt sent it */
  tag?: CallbackTag;
}

/**
 * A provider's report about a text (a status callback, the reconciler's lookup, the log provider's
 * delivery), applied by the one rule: only forward, never out of a final status, matched to the
 * attempt that sent it (applyProviderStatus); then another round when the carrier's error is a
 * hiccup and rounds are left (src/delivery/status.ts anotherRoundInMs), and progress. Null when the
 * report changed nothing (late, duplicate or for an attempt that is not the current one).
 */
export async function recordProviderReport(scope: DeliveryScope, report: ProviderReport): Promise<StatusUpdate | null> {
  const status: StatusReport = { sid: report.sid, status: report.outcome, providerStatus: report.word, errorCode: report.errorCode, tag: report.tag };
  const update = scope.statusWriter ? await scope.statusWriter(status) : ((await applyProviderStatuses(scope.db, [status]))[0] ?? null);
  if (!update) return null;
  const inMs = anotherRoundInMs(report.outcome, report.errorCode, update.attempts);
  if (inMs !== null) {
    const round = await requeueForRetry(scope.db, update.id);
    if (round !== null) {
      const sendAt = new Date(scope.clock.now().getTime() + inMs);
      await enqueueSms(scope.smsQueue, [{ recipientId: update.id, messageId: update.messageId, churchId: update.churchId, round, sendAt }], scope.log);
    }
  }
  scope.progress.touch(update.messageId);
  return update;
}
