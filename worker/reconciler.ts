import type { Queue } from 'bullmq';
import type { Db } from '../src/db/client.js';
import { providerOutcome } from '../src/delivery/status.js';
import type { Logger } from '../src/lib/logger.js';
import { recordProviderReport, type DeliveryScope } from '../src/modules/message/delivery.service.js';
import { systemClock } from '../src/lib/clock.js';
import * as q from '../src/modules/message/reconcile.queries.js';
import type { SmsProvider } from './sms/provider.js';

/**
 * Texts the provider accepted whose status callbacks never came (the API was down, the callback
 * was lost) would stay SENT for ever, and their message would never be done. The reconciler asks
 * the provider about each recipient SENT for longer than `afterS`, in batches of at most `batch`,
 * at most `ratePerS` questions a second (one at a time), and again with a doubling backoff while
 * the provider has no final word. At `unconfirmedAfterS` after sending it asks one last time and
 * otherwise ends the recipient UNCONFIRMED (final). Claims are row locks with SKIP LOCKED plus a
 * lease (src/modules/message/reconcile.queries.ts), so with several worker processes each
 * recipient is asked about by one of them at a time.
 */
export interface ReconcilerSettings {
  afterS: number;
  unconfirmedAfterS: number;
  batch: number;
  ratePerS: number;
  maxBackoffS: number;
  /** the provider call's own timeout (SMS_SEND_TIMEOUT_MS): a claim's lease allows for it */
  requestTimeoutMs: number;
}

export interface ReconcilerDeps {
  db: Db;
  provider: SmsProvider;
  log: Logger;
  settings: ReconcilerSettings;
  /** a recipient's status changed: counts, message status and progress follow */
  touched(messageId: number): void;
  /** for another round when the provider reports a retryable carrier error (the webhook's rule) */
  queue: Queue;
  /** tests: runs after a batch is claimed and before the provider is asked */
  afterClaim?(claimed: q.ReconcileClaim[]): Promise<void>;
}

export interface ReconcileStats {
  batches: number;
  claimed: number;
  /** questions the provider answered (final or not) */
  asked: number;
  final: number;
  unconfirmed: number;
  /** asked again later */
  rescheduled: number;
  /** questions that failed (provider down…): asked again later like a non-final answer */
  errors: number;
  /** claimed but left for the next round (the worker is stopping, or the lease ran short) */
  released: number;
}

/** At most `perS` starts in any second (a sliding window of start times). */
export class RateLimiter {
  private starts: number[] = [];

  constructor(
    private readonly perS: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async take(): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.starts.length && this.starts[0]! <= t - 1000) this.starts.shift();
      if (this.starts.length < this.perS) {
        this.starts.push(t);
        return;
      }
      await this.sleep(this.starts[0]! + 1000 - t + 1);
    }
  }
}

export function emptyStats(): ReconcileStats {
  return { batches: 0, claimed: 0, asked: 0, final: 0, unconfirmed: 0, rescheduled: 0, errors: 0, released: 0 };
}

export function createReconciler(d: ReconcilerDeps) {
  const s = d.settings;
  const limiter = new RateLimiter(s.ratePerS);
  // long enough for a whole batch at the rate limit with a slow answer or two; a batch that runs
  // short of it anyway stops asking and releases the rest (see the deadline below)
  const leaseS = Math.max(60, Math.ceil((2 * s.batch) / s.ratePerS) + 2 * Math.ceil(s.requestTimeoutMs / 1000));
  const backoffS = (checks: number) => Math.min(s.afterS * 2 ** Math.min(checks, 30), s.maxBackoffS);
  let stopping = false;
  const delivery: DeliveryScope = { db: d.db, smsQueue: d.queue, progress: { touch: d.touched }, log: d.log, clock: systemClock };

  async function check(c: q.ReconcileClaim, stats: ReconcileStats): Promise<void> {
    let word: string | null = null;
    let errorCode: string | null = null;
    if (c.providerSid) {
      try {
        const m = await d.provider.fetchStatus(c.providerSid);
        stats.asked++;
        if (m) {
          word = m.status;
          errorCode = m.errorCode === null || m.errorCode === undefined ? null : String(m.errorCode);
        }
      } catch (e) {
        stats.errors++;
        d.log.warn({ recipientId: c.id, err: (e as Error).message }, 'reconciler could not ask the provider');
      }
    }
    const outcome = word === null ? null : providerOutcome(word);
    if (outcome) {
      // the status webhook's rule (a callback that got there first leaves nothing to change)
      await recordProviderReport(delivery, { sid: c.providerSid!, outcome, word: word!, errorCode });
      stats.final++;
      return;
    }
    if (c.pastHorizon) {
      if (await q.markUnconfirmed(d.db, c.id, word)) {
        stats.unconfirmed++;
        d.touched(c.messageId);
      }
      return;
    }
    await q.rescheduleReconcile(d.db, c.id, { backoffS: backoffS(c.checks), horizonS: s.unconfirmedAfterS, providerStatus: word });
    stats.rescheduled++;
  }

  /** One claim of at most `batch` recipients, each asked about (rate-limited) and updated. */
  async function runBatch(stats: ReconcileStats): Promise<number> {
    const claimed = await q.claimForReconcile(d.db, { afterS: s.afterS, horizonS: s.unconfirmedAfterS, leaseS, limit: s.batch });
    if (!claimed.length) return 0;
    stats.batches++;
    stats.claimed += claimed.length;
    await d.afterClaim?.(claimed);
    const deadline = Date.now() + leaseS * 1000 - s.requestTimeoutMs - 1000;
    for (let i = 0; i < claimed.length; i++) {
      if (stopping || Date.now() > deadline) {
        const rest = claimed.slice(i).map((c) => c.id);
        await q.releaseReconcile(d.db, rest);
        stats.released += rest.length;
        break;
      }
      await limiter.take();
      await check(claimed[i]!, stats);
    }
    return claimed.length;
  }

  return {
    leaseS,
    /**
     * Batches until a claim finds nothing (or the worker stops). Not until a short batch: with
     * another worker claiming at the same moment, a batch can come back short while more is due.
     */
    async runOnce(): Promise<ReconcileStats> {
      const stats = emptyStats();
      while (!stopping && (await runBatch(stats)) > 0);
      if (stats.claimed) d.log.info({ ...stats }, 'reconciler asked the provider about texts without a final status');
      return stats;
    },
    stop() {
      stopping = true;
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
