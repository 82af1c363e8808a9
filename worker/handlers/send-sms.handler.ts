import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Db } from '../../src/db/client.js';
import { sendSmsJob } from '../../src/jobs/definitions/send-sms.js';
import type { Logger } from '../../src/lib/logger.js';
import { isInsideWindow, nextSendTime, type SendWindow } from '../../src/modules/message/quiet-hours.js';
import * as r from '../../src/modules/message/recipient.queries.js';
import type { ProgressPublisher } from '../../src/realtime/publisher.js';
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
 * 2. if an earlier attempt left it 'sending' without a provider id, ask the provider whether that
 *    text exists before sending again;
 * 3. send, then record the provider's id. A crash between 3 and the record is step 2 next time.
 */
export function createSendSmsHandler(d: SendSmsDeps) {
  return async (job: Job, token?: string): Promise<string> => {
    const p = sendSmsJob.payload.parse(job.data);
    const claim = await r.claimRecipient(d.db, p.recipientId, d.leaseS);
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

    const lookup = () => d.provider.findSent({ to: claim.phone, from: claim.fromNumber, body: claim.body, since: claim.sendingAt });
    if (claim.previousStatus === 'sending') {
      const found = await lookup();
      if (found) {
        await r.markSent(d.db, claim.id, found.sid, found.status);
        await applyKnownStatus(d, found.sid, found.status);
        d.log.info({ recipientId: claim.id, sid: found.sid }, 'earlier attempt had been sent; not sending again');
        return 'reconciled';
      }
    }

    try {
      // the callback names the recipient and attempt: a status that arrives before the provider
      // id is recorded (it can) still finds its row
      const statusCallback = d.statusCallback && `${d.statusCallback}?rid=${claim.id}&n=${claim.attempts}`;
      const sent = await d.provider.send({ to: claim.phone, from: claim.fromNumber, body: claim.body, statusCallback });
      await r.markSent(d.db, claim.id, sent.sid, sent.status);
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
          await r.markFailed(d.db, claim.id, code, err.message);
          await r.optOutPhone(d.db, claim.churchId, claim.phone, `error:${code ?? 'unsubscribed'}`);
          await d.onOptOut?.(claim.churchId);
          throw new UnrecoverableError(err.message);
        case 'retry':
          if (last) {
            await r.markFailed(d.db, claim.id, code, err.message);
            throw err;
          }
          await r.releaseUnsent(d.db, claim.id, code, err.message);
          throw err;
        case 'unknown': {
          if (last) {
            const found = await lookup().catch(() => null);
            if (found) {
              await r.markSent(d.db, claim.id, found.sid, found.status);
              await applyKnownStatus(d, found.sid, found.status);
              return 'reconciled';
            }
            await r.markFailed(d.db, claim.id, code, `outcome unknown after ${claim.attempts} attempts: ${err.message}`);
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

const PROVIDER_FINAL: Record<string, 'delivered' | 'undelivered' | 'failed' | undefined> = {
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
};

/** A text found at the provider may be further along than 'sent' (its callbacks went unheard). */
async function applyKnownStatus(d: SendSmsDeps, sid: string, providerStatus: string): Promise<void> {
  const status = PROVIDER_FINAL[providerStatus];
  if (status) await r.applyProviderStatus(d.db, sid, status, providerStatus, null);
}
