import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio, twilioEnv } from './helpers/fake-twilio.js';
import { seedChurch } from './helpers/factories.js';
import { freePort, startTestServer, type TestServer } from './helpers/server.js';

// The guarantee the SMS design exists for: 1,000 texts while the worker is SIGKILLed three times
// and Redis (which holds the queue, without persistence here) is restarted once. Every recipient
// must end in a final state and the fake Twilio must have received exactly one text per recipient.
const RECIPIENTS = 1000;
let fake: FakeTwilio;
let s: TestServer;
let redisPort: number;
let redisDir: string;
let redis: ChildProcess | undefined;
let worker: ChildProcess | undefined;
const prefix = `test:${process.pid}:fault:`;

function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
    const probe = async () => {
      const { Redis } = await import('ioredis');
      const c = new Redis(redisPort, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      c.on('error', () => {});
      try {
        await c.connect();
        await c.ping();
        clearTimeout(t);
        resolve();
      } catch {
        setTimeout(probe, 50);
      } finally {
        c.disconnect();
      }
    };
    void probe();
  });
}

async function stopRedis(): Promise<void> {
  const r = redis;
  if (!r || r.exitCode !== null) return;
  const gone = new Promise((res) => r.once('exit', res));
  r.kill('SIGKILL');
  await gone;
}

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      DATABASE_URL: s.config.db.url,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_KEY_PREFIX: prefix,
      ...twilioEnv(fake),
      PUBLIC_URL: s.config.publicUrl,
      SMS_SEND_TIMEOUT_MS: '1000',
      SMS_LEASE_S: '3',
      SMS_SWEEP_INTERVAL_S: '2',
      SMS_WORKER_CONCURRENCY: '20',
      SMS_RATE_LIMIT_PER_S: '150',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d) => process.stderr.write(`[worker] ${d}`));
  return child;
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

beforeAll(async () => {
  redisDir = mkdtempSync(path.join(tmpdir(), 'steeple-fault-redis-'));
  redisPort = await freePort();
  await startRedis();
  fake = await startFakeTwilio();
  s = await startTestServer('fault', {
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    REDIS_KEY_PREFIX: prefix,
    ...twilioEnv(fake),
  });
}, 60_000);

afterAll(async () => {
  await kill(worker);
  await s?.close().catch(() => {});
  await fake?.close();
  await stopRedis();
  rmSync(redisDir, { recursive: true, force: true });
});

describe('SMS under faults', () => {
  it('1,000 texts, the worker SIGKILLed 3 times and Redis restarted once: lost = 0, duplicates = 0', async () => {
    const church = await seedChurch(s, { members: 0 });
    await s.database.sql`UPDATE churches SET sms_from_number = '+13125550199' WHERE id = ${church.churchId}`;
    await s.database.sql`
      INSERT INTO members (church_id, first_name, last_name, phone, status)
      SELECT ${church.churchId}, 'Fault', 'Person ' || i, '+1312' || lpad((5550000 + i)::text, 7, '0'), 'member'
      FROM generate_series(1, ${RECIPIENTS}) AS i`;
    worker = startWorker();
    const sent = await s.gql('mutation($c: ID!) { sendMessage(churchId: $c, body: "Fault drill", audience: { everyone: true }, urgent: true) { id recipientCount } }', {
      c: String(church.churchId),
    });
    expect(sent.errors).toBeUndefined();
    expect(sent.data.sendMessage.recipientCount).toBe(RECIPIENTS);
    const messageId = Number(sent.data.sendMessage.id);

    const progress = () => fake.messages.filter((m) => m.body === 'Fault drill').length;
    const waitForProgress = async (n: number) => {
      const until = Date.now() + 60_000;
      while (progress() < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    };
    // three kills spread over the drain, a Redis restart between the second and the third
    for (const [i, at] of [150, 400, 650].entries()) {
      await waitForProgress(at);
      await kill(worker);
      if (i === 1) {
        await stopRedis(); // the queue's jobs are gone: only the outbox knows what is left
        await startRedis();
      }
      worker = startWorker();
    }

    const until = Date.now() + 120_000;
    let pending = RECIPIENTS;
    while (Date.now() < until) {
      const [row] = await s.database.sql<[{ n: number }]>`
        SELECT count(*)::int AS n FROM message_recipients WHERE message_id = ${messageId} AND status IN ('queued', 'sending', 'sent')`;
      pending = row.n;
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const counts = await s.database.sql<{ status: string; n: number }[]>`
      SELECT status, count(*)::int AS n FROM message_recipients WHERE message_id = ${messageId} GROUP BY status`;
    const byTo = new Map<string, number>();
    for (const m of fake.messages) if (m.body === 'Fault drill') byTo.set(m.to, (byTo.get(m.to) ?? 0) + 1);
    const duplicates = [...byTo.values()].filter((n) => n > 1).length;
    const delivered = counts.find((c) => c.status === 'delivered')?.n ?? 0;
    const lost = RECIPIENTS - byTo.size;
    console.log(`sms fault drill: recipients = ${RECIPIENTS}, texts received = ${[...byTo.values()].reduce((a, b) => a + b, 0)}, lost = ${lost}, duplicates = ${duplicates}, statuses = ${JSON.stringify(counts)}`);
    expect(pending).toBe(0);
    expect(duplicates).toBe(0);
    expect(lost).toBe(0);
    expect(delivered).toBe(RECIPIENTS);

    // and a SIGTERM stops the worker cleanly
    const started = Date.now();
    const exited = new Promise<number | null>((r) => worker!.once('exit', (code) => r(code)));
    worker!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(12_000);
  }, 180_000);
});
