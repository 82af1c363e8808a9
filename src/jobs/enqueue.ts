import type { Queue } from 'bullmq';
import type { Logger } from '../lib/logger.js';
import { sendSmsJob, type SendSmsPayload } from './definitions/send-sms.js';

const CHUNK = 1000;

export interface SmsJobSpec extends SendSmsPayload {
  /** when to send; past or now: at once */
  sendAt: Date;
}

/**
 * Adds send-sms jobs in bulk. Called after the recipients (the outbox) are committed; if Redis is
 * down this fails within `timeoutMs` and the sweeper enqueues them later. Nothing is lost either way.
 */
export async function enqueueSms(queue: Queue, jobs: SmsJobSpec[], log: Logger, timeoutMs = 3000): Promise<number> {
  let added = 0;
  for (let i = 0; i < jobs.length; i += CHUNK) {
    const now = Date.now();
    const chunk = jobs.slice(i, i + CHUNK).map(({ sendAt, ...p }) => ({
      name: sendSmsJob.name,
      data: sendSmsJob.payload.parse(p),
      opts: { ...sendSmsJob.options, jobId: sendSmsJob.jobId(p), delay: Math.max(0, sendAt.getTime() - now) },
    }));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        queue.addBulk(chunk),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`queue did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      added += chunk.length;
    } catch (e) {
      log.warn({ err: (e as Error).message, pending: jobs.length - added }, 'could not enqueue texts now; the sweeper will');
      return added;
    } finally {
      clearTimeout(timer);
    }
  }
  return added;
}
