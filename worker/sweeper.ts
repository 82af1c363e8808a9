import type { Queue } from 'bullmq';
import type { Db } from '../src/db/client.js';
import { sendSmsJob } from '../src/jobs/definitions/send-sms.js';
import { enqueueSms } from '../src/jobs/enqueue.js';
import type { Logger } from '../src/lib/logger.js';
import { pendingRecipients } from '../src/modules/message/recipient.queries.js';

const LIVE = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);
const BATCH = 5000;

/**
 * The outbox's other half: recipients that should be in the queue but are not (Redis was down when
 * the message was sent, Redis lost its data, a job failed for good while the row stayed pending)
 * get their job again. Job ids are deterministic, so a job that still exists is never doubled.
 */
export async function sweep(db: Db, queue: Queue, log: Logger, olderThanS: number): Promise<number> {
  const pending = await pendingRecipients(db, olderThanS, BATCH);
  if (!pending.length) return 0;
  const states = await Promise.all(
    pending.map(async (p) => {
      const ids = [p.attempts, p.attempts - 1].filter((n) => n >= 0).map((round) => sendSmsJob.jobId({ ...p, recipientId: p.id, round }));
      const found = await Promise.all(ids.map(async (id) => ({ id, state: await queue.getJobState(id) })));
      return { p, found };
    }),
  );
  const toAdd = [];
  for (const { p, found } of states) {
    if (found.some((f) => LIVE.has(f.state))) continue;
    // a finished job under the id we are about to use would swallow the new one
    for (const f of found) if (f.state === 'failed' || f.state === 'completed') await queue.remove(f.id).catch(() => 0);
    toAdd.push({ recipientId: p.id, messageId: p.messageId, churchId: p.churchId, round: p.attempts, sendAt: p.sendAt });
  }
  if (!toAdd.length) return 0;
  const added = await enqueueSms(queue, toAdd, log);
  log.info({ added, pending: pending.length }, 'sweeper re-enqueued texts');
  return added;
}
