import type { Queue } from 'bullmq';
import type { Db } from '../src/db/client.js';
import { enqueueEmail, enqueueSms, sendJobOf } from '../src/jobs/enqueue.js';
import type { Logger } from '../src/lib/logger.js';
import { pendingRecipients } from '../src/modules/message/recipient.queries.js';

const BATCH = 5000;

type JobPresence = 'live' | 'finished' | 'missing';

/**
 * Whether each job is still in the queue (waiting, delayed, active…), finished (completed or
 * failed: it would swallow a new job with its id) or gone, in one round trip: its hash's
 * `timestamp` (every job has one) and `finishedOn` (set when it completes or fails, cleared when it
 * is retried). Queue.getJobState answers the same per job with a script that walks the wait list
 * (LPOS): during a send of 10,000 the sweep found thousands of recipients waiting their turn, and
 * asking about each was a walk of a 10,000-long list, each, in Redis.
 */
async function presence(queue: Queue, ids: readonly string[]): Promise<JobPresence[]> {
  if (!ids.length) return [];
  const client = await queue.client;
  const pipeline = client.pipeline();
  // runCommand on BullMQ's ioredis pipeline is the command of that name (here HMGET)
  for (const id of ids) pipeline.runCommand('hmget', [queue.toKey(id), 'timestamp', 'finishedOn']);
  const answers = (await pipeline.exec()) ?? [];
  return ids.map((_, i) => {
    const [err, fields] = answers[i] ?? [new Error('no answer'), null];
    if (err) throw err;
    const [timestamp, finishedOn] = fields as [string | null, string | null];
    return timestamp === null ? 'missing' : finishedOn ? 'finished' : 'live';
  });
}

/**
 * The outbox's other half: recipients that should be in the queue but are not (Redis was down when
 * the message was sent, Redis lost its data, a job failed for good while the row stayed pending)
 * get their job again. Job ids are deterministic, so a job that still exists is never doubled.
 */
export async function sweep(db: Db, queue: Queue, log: Logger, olderThanS: number): Promise<number> {
  const pending = await pendingRecipients(db, olderThanS, BATCH);
  if (!pending.length) return 0;
  const candidates = pending.map((p) => ({
    p,
    ids: [p.attempts, p.attempts - 1].filter((n) => n >= 0).map((round) => sendJobOf(p.channel).jobId({ ...p, recipientId: p.id, round })),
  }));
  const found = await presence(queue, candidates.flatMap((c) => c.ids));
  let at = 0;
  const toAdd = [];
  for (const { p, ids } of candidates) {
    const states = ids.map((id) => ({ id, state: found[at++]! }));
    if (states.some((s) => s.state === 'live')) continue;
    // a finished job under the id we are about to use would swallow the new one
    for (const s of states) if (s.state === 'finished') await queue.remove(s.id).catch(() => 0);
    toAdd.push({ channel: p.channel, job: { recipientId: p.id, messageId: p.messageId, churchId: p.churchId, round: p.attempts, sendAt: p.sendAt } });
  }
  if (!toAdd.length) return 0;
  const texts = toAdd.filter((t) => t.channel === 'sms').map((t) => t.job);
  const emails = toAdd.filter((t) => t.channel === 'email').map((t) => t.job);
  const added = (texts.length ? await enqueueSms(queue, texts, log) : 0) + (emails.length ? await enqueueEmail(queue, emails, log) : 0);
  log.info({ added, pending: pending.length }, 'sweeper re-enqueued texts and emails');
  return added;
}
