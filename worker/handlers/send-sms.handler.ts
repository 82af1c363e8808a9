import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Db } from '../../src/db/client.js';
import { providerOutcome } from '../../src/delivery/status.js';
import { sendSmsJob } from '../../src/jobs/definitions/send-sms.js';
import { Batcher, byMessage, rowLevelSqlError } from '../../src/lib/batcher.js';
import type { Logger } from '../../src/lib/logger.js';
import { isInsideWindow, nextSendTime, type SendWindow } from '../../src/modules/message/quiet-hours.js';
import * as r from '../../src/modules/message/recipient.queries.js';
import type { ProgressPublisher } from '../../src/realtime/publisher.js';
import { callbackUrl, type CallbackTag } from '../../src/sms/callback-tag.js';
import { SendError, type SmsProvider } from '../sms/provider.js';

export interface SendSmsDeps {
  db: Db;
  provider: SmsProvider;
  progress: ProgressPublisher;
  log: Logger;
  window: SendWindow;
  leaseS: number;
  /** absolute URL of POST /webhooks/twilio/status, or undefined for providers without callbacks */
  statusCallback: string | undefined;
  /** a number turned out to be unsubscribed at the carrier: people of that church changed */
  onOptOut?(churchId: number): Promise<void>;
}

/**
 * Sends one text, exactly once, whatever happens to this process:
 * 1. claim the recipient (queued → sending, with a lease) in one UPDATE; no claim, no send;
 * 2. if any earlier attempt's outcome is unknown (claim.checkProviderSince), ask the provider whether
 *    a text exists before sending again; every attempt does, until an outcome is known, however the
 *    attempts between ended (refused, deferred, failed and retried by an operator);
 * 3. send, then record the provider's id. A crash between 3 and the record is step 2 next time.
 *
 * The claims and the records of concurrent jobs travel together (recipientWrites): one statement
 * each for all the jobs that reach that step at the same time, each job still waiting for its own
 * row's outcome.
 */
export function createSendSmsHandler(d: SendSmsDeps) {
  const writes = recipientWrites(d.db, d.leaseS);
  // a record names the recipient's message (its month: recipientWrites)
  const markSentOf = (messageId: number) => (id: number, sid: string, providerStatus: string) => writes.sent.load({ id, messageId, sid, providerStatus });
  return async (job: Job, token?: string): Promise<string> => {
    const p = sendSmsJob.payload.parse(job.data);
    const claim = await writes.claims.load({ id: p.recipientId, messageId: p.messageId });
    if (!claim) {
      const st = await r.recipientState(d.db, p.recipientId);
      if (st?.status === 'sending' && !st.cancelled && st.leaseUntil && st.leaseUntil.getTime() > Date.now()) {
        // another worker holds it (or a killed one did): look again when its lease ends
        await job.moveToDelayed(st.leaseUntil.getTime() + 100, token);
        throw new DelayedError();
      }
      return `nothing to do (${st?.status ?? 'gone'})`;
    }
    d.progress.touch(claim.messageId);
    const markSent = markSentOf(claim.messageId);
    if (claim.optedOut) {
      await r.markSkipped(d.db, claim.id, 'opted_out');
      return 'skipped: opted out since the message was written';
    }

    const now = new Date();
    if (!claim.urgent && !isInsideWindow(now, claim.timeZone, d.window)) {
      await r.deferRecipient(d.db, claim.id);
      await job.moveToDelayed(nextSendTime(now, claim.timeZone, d.window).getTime(), token);
      throw new DelayedError();
    }

    // since the first attempt whose outcome is unknown, or (for this attempt's own unknown) this one
    const since = claim.checkProviderSince ?? claim.sendingAt;
    const lookup = () => d.provider.findSent({ to: claim.phone, from: claim.fromNumber, body: claim.body, since });
    if (claim.checkProviderSince) {
      const found = await lookup();
      if (found) {
        await markSent(claim.id, found.sid, found.status);
        await applyKnownStatus(d, found.sid, found.status);
        d.log.info({ recipientId: claim.id, sid: found.sid }, 'earlier attempt had been sent; not sending again');
        return 'reconciled';
      }
    }

    try {
      // the report names the recipient, attempt and episode: a status that arrives before the
      // provider id is recorded (it can) still finds its row
      const tag: CallbackTag = { recipientId: claim.id, messageId: claim.messageId, attempt: claim.attempts, episode: claim.episode };
      const statusCallback = d.statusCallback && callbackUrl(d.statusCallback, tag);
      const sent = await d.provider.send({ to: claim.phone, from: claim.fromNumber, body: claim.body, statusCallback, tag });
      await markSent(claim.id, sent.sid, sent.status);
      return 'sent';
    } catch (e) {
      const err = e instanceof SendError ? e : new SendError('unknown', (e as Error).message);
      const code = err.code === null ? null : String(err.code);
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      switch (err.kind) {
        // final failures also fail the job (no more attempts), so operators see them in failedJobs
        case 'permanent':
          await r.markFailed(d.db, claim.id, code, err.message);
          throw new UnrecoverableError(err.message);
        case 'unsubscribed':
          // one transaction: nobody may see the text failed as unsubscribed while the number is
          // still open to the next message (or a reader, to the member's status)
          await d.db.transaction(async (tx) => {
            await r.optOutPhone(tx, claim.churchId, claim.phone, `error:${code ?? 'unsubscribed'}`);
            await r.markFailed(tx, claim.id, code, err.message);
          });
          await d.onOptOut?.(claim.churchId);
          throw new UnrecoverableError(err.message);
        case 'retry':
          if (last) {
            // refused now, but an earlier attempt's text may have turned up meanwhile
            if (claim.checkProviderSince && (await reconcileFound(d, markSent, claim.id, lookup))) return 'reconciled';
            await r.markFailed(d.db, claim.id, code, err.message);
            throw err;
          }
          await r.releaseUnsent(d.db, claim.id, code, err.message);
          throw err;
        case 'unknown': {
          if (last) {
            if (await reconcileFound(d, markSent, claim.id, lookup)) return 'reconciled';
            await r.markFailed(d.db, claim.id, code, `outcome unknown after ${claim.attempts} attempts: ${err.message}`, true);
            throw err;
          }
          await r.releaseUnknown(d.db, claim.id, code, err.message);
          throw err;
        }
      }
    } finally {
      d.progress.touch(claim.messageId);
    }
  };
}

/** The last look before giving up: a text found at the provider is the outcome (a failed look is not). */
async function reconcileFound(
  d: SendSmsDeps,
  markSent: (id: number, sid: string, providerStatus: string) => Promise<boolean>,
  id: number,
  lookup: () => Promise<{ sid: string; status: string } | null>,
): Promise<boolean> {
  const found = await lookup().catch(() => null);
  if (!found) return false;
  await markSent(id, found.sid, found.status);
  await applyKnownStatus(d, found.sid, found.status);
  return true;
}

/** A text found at the provider may be further along than 'sent' (its callbacks went unheard). */
async function applyKnownStatus(d: SendSmsDeps, sid: string, providerStatus: string): Promise<void> {
  const status = providerOutcome(providerStatus);
  if (status) await r.applyProviderStatus(d.db, sid, status, providerStatus, null);
}

/**
 * The handler's two per-text statements, batched across the jobs running at once (src/lib/batcher.ts):
 * claims (a row claimed by another worker, or held by another transaction, gives null for that row
 * alone) and the records of accepted texts.
 */
export function recipientWrites(db: Db, leaseS: number) {
  return {
    // one statement per message among the batch's (usually one: a send's jobs), each reading only
    // its message's month of message_recipients (src/db/partitions.ts)
    claims: new Batcher<{ id: number; messageId: number }, r.ClaimedRecipient | null>(
      async (keys) => {
        const claimed = new Map<number, r.ClaimedRecipient>();
        await Promise.all(
          [...byMessage(keys)].map(async ([messageId, ks]) => {
            for (const [id, c] of await r.claimRecipients(db, ks.map((k) => k.id), leaseS, messageId)) claimed.set(id, c);
          }),
        );
        return keys.map((k) => claimed.get(k.id) ?? null);
      },
      { keys: (k) => [k.id] },
    ),
    sent: new Batcher<r.SentRecord & { messageId: number }, boolean>(
      async (records) => {
        const recorded = new Set<number>();
        await Promise.all([...byMessage(records)].map(async ([, rs]) => (await r.markSentMany(db, rs)).forEach((id) => recorded.add(id))));
        return records.map((s) => recorded.has(s.id));
      },
      // a provider id already on another row (a unique violation) fails that record alone
      { keys: (s) => [s.id, s.sid], retryAlone: rowLevelSqlError },
    ),
  };
}

