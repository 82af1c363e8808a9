import type { Queue } from 'bullmq';
import type { Logger } from '../lib/logger.js';
import type { JobDefinition } from './definition.js';
import { sendEmailJob } from './definitions/send-email.js';
import { sendSmsJob, type SendSmsPayload } from './definitions/send-sms.js';

// one addBulk is one pipeline, and the time limit below is per chunk: 1,000 jobs took up to 2.5 s on
// a busy 2-core machine during a drain, close to the limit (a chunk over it leaves the rest of the
// send to the sweeper, 15-30 s later)
const CHUNK = 250;

export interface SmsJobSpec extends SendSmsPayload {
  /** when to send; past or now: at once */
  sendAt: Date;
}

/**
 * Adds send-sms jobs in bulk. Called after the recipients (the outbox) are committed; if Redis is
 * down this fails within `timeoutMs` and the sweeper enqueues them later. Nothing is lost either way.
 */
export async function enqueueSms(queue: Queue, jobs: SmsJobSpec[], log: Logger, timeoutMs = 3000): Promise<number> {
  return enqueueSends(sendSmsJob, queue, jobs, log, timeoutMs);
}

/** Adds send-email jobs in bulk, as enqueueSms does texts (same queue, same contract). */
export async function enqueueEmail(queue: Queue, jobs: SmsJobSpec[], log: Logger, timeoutMs = 3000): Promise<number> {
  return enqueueSends(sendEmailJob, queue, jobs, log, timeoutMs);
}

/** The job of a recipient of either channel (the sweeper, ops). */
export const sendJobOf = (channel: 'sms' | 'email') => (channel === 'email' ? sendEmailJob : sendSmsJob);

async function enqueueSends(def: JobDefinition<SendSmsPayload>, queue: Queue, jobs: SmsJobSpec[], log: Logger, timeoutMs: number): Promise<number> {
  let added = 0;
  for (let i = 0; i < jobs.length; i += CHUNK) {
    const now = Date.now();
    const chunk = jobs.slice(i, i + CHUNK).map(({ sendAt, ...p }) => ({
      name: def.name,
      data: def.payload.parse(p),
      opts: { ...def.options, jobId: def.jobId(p), delay: Math.max(0, sendAt.getTime() - now) },
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
