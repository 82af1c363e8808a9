/**
 * worker/sweeper.ts: recipients that should be in the queue get their job back, and only those. It
 * tells a job that is still in the queue (waiting, delayed, active) from one that finished (its id
 * would swallow a new job) and one that is gone, in one round trip for the whole sweep.
 */
import { Worker, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSmsJob } from '../src/jobs/definitions/send-sms.js';
import { enqueueSms } from '../src/jobs/enqueue.js';
import { bullConnection, bullPrefix, createQueue } from '../src/jobs/queues.js';
import { createLogger } from '../src/lib/logger.js';
import { sweep } from '../worker/sweeper.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

const log = createLogger('silent');
let s: TestServer;
let connection: Redis;
let queue: Queue;

beforeAll(async () => {
  s = await startTestServer('worker-sweeper', { CACHE_ENABLED: 'false' });
  connection = bullConnection(TEST_REDIS_URL, 'worker');
  queue = createQueue(sendSmsJob.queue, connection, s.config.redis.keyPrefix);
}, 60_000);

afterAll(async () => {
  await queue?.close();
  connection?.disconnect();
  await s?.close();
});

describe('the outbox sweep', () => {
  it('re-adds the texts without a live job (none, or a finished one) and leaves the rest alone', async () => {
    const sql = s.database.sql;
    const [c] = await sql<[{ id: number }]>`
      INSERT INTO churches (name, slug, time_zone, sms_from_number) VALUES ('Sweep Church', 'sweep-church', 'UTC', '+13125550180') RETURNING id`;
    await sql`INSERT INTO members (church_id, first_name, last_name, phone, status)
      SELECT ${c.id}, 'Sweep', 'Person ' || i, '+1312555' || lpad(i::text, 4, '0'), 'member' FROM generate_series(1, 4) i`;
    const [m] = await sql<[{ id: number }]>`
      INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number)
      VALUES (${c.id}, 'Swept', '{}'::jsonb, 'sending', now(), 'gsm7', 1, 4, 0, 0, '+13125550180') RETURNING id`;
    // queued a while ago: what the sweeper looks at
    const rows = await sql<{ id: number }[]>`
      INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, updated_at, created_at)
      SELECT church_id, ${m.id}, id, phone, 'queued', now() - interval '1 hour', (SELECT created_at FROM messages WHERE id = ${m.id})
      FROM members WHERE church_id = ${c.id} ORDER BY id RETURNING id`;
    const [waiting, delayed, finished, missing] = rows.map((r) => r.id).sort((a, b) => a - b) as [number, number, number, number];
    const spec = (recipientId: number, sendAt: Date) => ({ recipientId, messageId: m.id, churchId: c.id, round: 0, sendAt });

    // `finished` has a job that completed (its recipient stayed queued: a worker that lost its row)
    await enqueueSms(queue, [spec(finished, new Date())], log);
    const workerConnection = bullConnection(TEST_REDIS_URL, 'worker');
    await new Promise<void>((resolve) => {
      const w = new Worker(sendSmsJob.queue, async () => 'nothing to do', { connection: workerConnection, prefix: bullPrefix(s.config.redis.keyPrefix) });
      w.on('completed', () => void w.close().then(() => resolve()));
    });
    workerConnection.disconnect();
    expect(await queue.getJobState(sendSmsJob.jobId({ ...spec(finished, new Date()) }))).toBe('completed');
    // `waiting` and `delayed` are still in the queue; `missing` never got a job (Redis was down)
    await enqueueSms(queue, [spec(waiting, new Date()), spec(delayed, new Date(Date.now() + 3_600_000))], log);

    const added = await sweep(s.database.db, queue, log, 60);
    expect(added).toBe(2);
    const state = (rid: number) => queue.getJobState(sendSmsJob.jobId({ ...spec(rid, new Date()) }));
    expect(await state(waiting)).toBe('waiting');
    expect(await state(delayed)).toBe('delayed');
    expect(await state(finished)).toBe('waiting');
    expect(await state(missing)).toBe('waiting');
    expect(await queue.getWaitingCount()).toBe(3);
    // a second sweep finds every one of them live
    expect(await sweep(s.database.db, queue, log, 60)).toBe(0);
  });
});
