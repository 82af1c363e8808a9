import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullConnection, bullPrefix } from '../src/jobs/queues.js';
import { createLogger } from '../src/lib/logger.js';
import { countWorkerProcesses, workerProcessName } from '../src/modules/ops/worker-count.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// queueMetrics.workers counts worker processes, not their Redis connections (10.16).

let s: TestServer;
const running: RunningWorker[] = [];

beforeAll(async () => {
  s = await startTestServer('worker-count');
}, 60_000);

afterAll(async () => {
  for (const w of running) await w.close();
  await s?.close();
});

const workers = async () => {
  const r = await s.gql('{ queueMetrics { workers } }');
  expect(r.errors).toBeUndefined();
  return r.data.queueMetrics.workers as number;
};

describe('queueMetrics.workers', () => {
  it('is the number of worker processes, however many connections each holds', async () => {
    expect(await workers()).toBe(0);
    const a = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL }, { processName: 'host-a:101' });
    running.push(a);
    expect(a.name).toBe('host-a:101');
    await Promise.all(a.workers.map((w) => w.waitUntilReady()));
    expect(await workers()).toBe(1);

    // the same process opening another BullMQ connection to the queue (a second Worker, a
    // reconnect): still one process
    const connection = bullConnection(TEST_REDIS_URL, 'worker');
    const extra = new Worker('sms', null, { name: a.name, connection, prefix: bullPrefix(s.config.redis.keyPrefix), autorun: false });
    try {
      await extra.waitUntilReady();
      expect(await workers()).toBe(1);

      const b = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL }, { processName: 'host-b:202' });
      running.push(b);
      await Promise.all(b.workers.map((w) => w.waitUntilReady()));
      expect(await workers()).toBe(2);
      // and queueHealth reads the same figure
      expect((await s.gql('{ queueHealth { reasons } }')).data.queueHealth.reasons).not.toContain('no worker is connected');
    } finally {
      await extra.close();
      connection.disconnect();
    }
  }, 30_000);

  it('names a process after its host and pid by default, in a form CLIENT SETNAME takes', () => {
    expect(workerProcessName()).toMatch(new RegExp(`:${process.pid}$`));
    expect(workerProcessName('my host\nname')).toBe('my_host_name');
    expect(countWorkerProcesses([{ rawname: 'p:c21z:w:a' }, { rawname: 'p:c21z:w:a' }, { rawname: 'p:c21z:w:b' }, { rawname: 'p:c21z' }, { rawname: 'p:c21z' }])).toBe(4);
  });
});
