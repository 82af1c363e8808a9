import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { startFakeTwilio, type FakeTwilio, twilioEnv } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

let fake: FakeTwilio;
let s: TestServer;
let worker: RunningWorker | undefined;
let church: SeededChurch;
let seq = 0;
const phone = () => `+1312555${String(6000 + seq++).padStart(4, '0')}`;

async function ok<T = any>(query: string, variables: Record<string, unknown> = {}, headers?: Record<string, string>): Promise<T> {
  const r = await s.gql(query, variables, headers);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data as T;
}

async function until<T>(what: string, fn: () => Promise<T | false | null | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function person(p: string) {
  const d = await ok<{ createMember: { id: string } }>('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
    i: { churchId: String(church.churchId), firstName: 'Ops', lastName: p, phone: p, status: 'MEMBER' },
  });
  return d.createMember.id;
}

const send = (ids: string[], body: string) =>
  ok<{ sendMessage: { id: string } }>('mutation($c: ID!, $m: [ID!], $b: String!) { sendMessage(churchId: $c, body: $b, audience: { memberIds: $m }, urgent: true) { id } }', {
    c: String(church.churchId),
    m: ids,
    b: body,
  });

// /metrics on the API port answers only the bearer of METRICS_TOKEN (metrics-labels.test.ts)
const OPS_METRICS_TOKEN = 'ops-test-metrics-token-0123456789';

beforeAll(async () => {
  fake = await startFakeTwilio();
  s = await startTestServer('ops', {
    METRICS_TOKEN: OPS_METRICS_TOKEN,
    ...twilioEnv(fake),
    SMS_LEASE_S: '2',
    SMS_SEND_TIMEOUT_MS: '500',
    SMS_SWEEP_INTERVAL_S: '1',
  });
  church = await seedChurch(s, { members: 0 });
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550150' WHERE id = ${church.churchId}`;
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await s?.close();
  await fake?.close();
});

describe('queue operations', () => {
  it('queueMetrics and queueHealth see a queue with no worker: waiting texts, DOWN', async () => {
    await send([await person(phone()), await person(phone())], 'Waiting for a worker');
    const m = await ok('{ queueMetrics { waiting active delayed failed paused workers oldestWaitingSeconds sentLastMinute } }');
    expect(m.queueMetrics).toMatchObject({ waiting: 2, workers: 0, paused: false, sentLastMinute: 0 });
    expect(m.queueMetrics.oldestWaitingSeconds).toBeGreaterThanOrEqual(0);
    const h = await ok('{ queueHealth { status reasons latencyMs } }');
    expect(h.queueHealth.status).toBe('DOWN');
    expect(h.queueHealth.reasons).toContain('no worker is connected');
  });

  it('with a worker the texts go, and health is OK', async () => {
    worker = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL });
    await until('queue drained', async () => (await ok('{ queueMetrics { waiting active } }')).queueMetrics.waiting === 0);
    const m = await until('texts sent', async () => {
      const q = (await ok('{ queueMetrics { workers sentLastMinute } }')).queueMetrics;
      return q.sentLastMinute >= 2 ? q : null;
    });
    expect(m.workers).toBeGreaterThan(0);
    expect((await ok('{ queueHealth { status reasons } }')).queueHealth).toEqual({ status: 'OK', reasons: [] });
  });

  it('pauseQueue holds texts back; resumeQueue lets them go', async () => {
    expect((await ok('mutation { pauseQueue { paused } }')).pauseQueue.paused).toBe(true);
    const h = await ok('{ queueHealth { status reasons } }');
    expect(h.queueHealth.status).toBe('DEGRADED');
    expect(h.queueHealth.reasons).toContain('the queue is paused');
    const p = phone();
    await send([await person(p)], 'Held back');
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.countsByTo().get(p) ?? 0).toBe(0);
    expect((await ok('mutation { resumeQueue { paused } }')).resumeQueue.paused).toBe(false);
    await until('the held text', async () => (fake.countsByTo().get(p) ?? 0) === 1);
  });

  it('failedJobs lists failures with masked phones; retryFailedJobs resends them once; a job no longer failed is left alone, saying so', async () => {
    const bad = phone();
    fake.failFor(bad, 21211, 1); // invalid once: it fails for good, then an operator retries
    await send([await person(bad)], 'Fails then retried');
    const page = await until('a failed job', async () => {
      const d = (await ok('{ failedJobs(limit: 10) { total jobs { id recipientId churchId churchName phone error attempts failedAt } } }')).failedJobs;
      return d.total > 0 ? d : null;
    });
    const job = page.jobs[0];
    expect(job).toMatchObject({ churchId: String(church.churchId), phone: `•••${bad.slice(-4)}`, attempts: 1 });
    expect(job.error).toMatch(/21211|not a valid/i);
    expect(JSON.stringify(page)).not.toContain(bad);

    const r = await ok('mutation($ids: [ID!]) { retryFailedJobs(ids: $ids) { retried skipped { id reason } } }', { ids: [job.id, 'sms-999999-0'] });
    expect(r.retryFailedJobs.retried).toBe(1);
    expect(r.retryFailedJobs.skipped).toEqual([{ id: 'sms-999999-0', reason: expect.stringMatching(/no such job/) }]);
    await until('the retried text', async () => (fake.countsByTo().get(bad) ?? 0) === 1);
    const again = await ok('mutation($ids: [ID!]) { retryFailedJobs(ids: $ids) { retried skipped { id reason } } }', { ids: [job.id] });
    expect(again.retryFailedJobs.retried).toBe(0);
    expect(again.retryFailedJobs.skipped[0].reason).toMatch(/not failed/);
    expect(fake.countsByTo().get(bad)).toBe(1);
  });

  it('clearFailedJobs removes failed jobs and returns how many; failedSends shows a church admin its failed texts', async () => {
    const bad = phone();
    fake.failFor(bad, 21614);
    await send([await person(bad)], 'Fails for good');
    await until('failed', async () => (await ok('{ failedJobs { total } }')).failedJobs.total > 0);
    const admin = await s.userWith('ops-admin@x.test', [[church.churchId, 'admin']]);
    const sends = await ok('query($c: ID!) { failedSends(churchId: $c) { totalCount nodes { phone status errorCode attempts } } }', { c: String(church.churchId) }, admin.headers);
    expect(sends.failedSends.totalCount).toBeGreaterThan(0);
    expect(sends.failedSends.nodes[0]).toMatchObject({ phone: `•••${bad.slice(-4)}`, status: 'FAILED', errorCode: '21614' });
    const staff = await s.userWith('ops-staff@x.test', [[church.churchId, 'staff']]);
    const refused = await s.gql('query($c: ID!) { failedSends(churchId: $c) { totalCount } }', { c: String(church.churchId) }, staff.headers);
    expect(refused.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    const future = await ok('mutation($t: DateTime) { clearFailedJobs(olderThan: $t) }', { t: new Date(Date.now() - 3_600_000).toISOString() });
    expect(future.clearFailedJobs).toBe(0);
    const cleared = await ok('mutation { clearFailedJobs }');
    expect(cleared.clearFailedJobs).toBeGreaterThan(0);
    expect((await ok('{ failedJobs { total } }')).failedJobs.total).toBe(0);
  });

  it('bounds and refusals', async () => {
    for (const [q, field] of [
      ['{ failedJobs(limit: 51) { total } }', 'limit'],
      ['{ failedJobs(limit: 0) { total } }', 'limit'],
      ['{ failedJobs(offset: -1) { total } }', 'offset'],
      ['mutation { retryFailedJobs { retried } }', 'ids'],
      ['mutation { retryFailedJobs(all: true, limit: 5000) { retried } }', 'limit'],
      ['mutation { invalidateCache { } }'.replace(' { }', ''), 'churchId'],
      ['mutation { invalidateCache(typename: "drop table") }', 'typename'],
    ] as const) {
      const r = await s.gql(q);
      expect(r.errors![0]!.extensions, q).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const staff = await s.userWith('ops-refused@x.test', [[church.churchId, 'owner']]);
    for (const q of ['{ queueMetrics { waiting } }', 'mutation { pauseQueue { paused } }', '{ cacheMetrics { hits } }']) {
      expect((await s.gql(q, {}, staff.headers)).errors![0]!.extensions!.code, q).toBe('FORBIDDEN');
      expect((await s.gql(q, {}, {})).errors![0]!.extensions!.code, q).toBe('UNAUTHENTICATED');
    }
  });
});

describe('cache operations', () => {
  const PAGE = 'query CachedPage($c: ID!) { members(churchId: $c, first: 5) { totalCount } }';

  it('cacheMetrics, resetCacheMetrics, cacheHealth and invalidateCache', async () => {
    expect((await ok('mutation { resetCacheMetrics }')).resetCacheMetrics).toBe(true);
    const c = String(church.churchId);
    await ok(PAGE, { c });
    await ok(PAGE, { c });
    const m = (await ok('{ cacheMetrics { hits misses hitRatio writes invalidations errors keys memoryBytes operations { operation hits misses hitRatio } } }')).cacheMetrics;
    expect(m).toMatchObject({ hits: 1, misses: 1, hitRatio: 0.5, errors: 0 });
    expect(m.operations).toContainEqual({ operation: 'CachedPage', hits: 1, misses: 1, hitRatio: 0.5 });
    expect(m.keys).toBeGreaterThan(0);
    expect((await ok('{ cacheHealth { status reasons latencyMs } }')).cacheHealth).toMatchObject({ status: 'OK', reasons: [] });

    const dropped = (await ok('mutation($c: ID!) { invalidateCache(churchId: $c) }', { c })).invalidateCache;
    expect(dropped).toBeGreaterThanOrEqual(1);
    s.database.statements.reset();
    await ok(PAGE, { c });
    expect(s.database.statements.count).toBeGreaterThan(0); // dropped: asked the database again
    await ok(PAGE, { c });
    expect((await ok('mutation { invalidateCache(typename: "MemberConnection") }')).invalidateCache).toBeGreaterThanOrEqual(0);
    const byType = (await ok('mutation { invalidateCache(typename: "Church") }')).invalidateCache;
    expect(typeof byType).toBe('number');
  });
});

describe('health, readiness and metrics', () => {
  it('/healthz and /readyz answer; /readyz is 503 while draining', async () => {
    const p = await startTestServer('ops-drain');
    try {
      expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${p.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      p.handle.setDraining();
      const draining = await fetch(`${p.url}/readyz`);
      expect(draining.status).toBe(503);
      expect(await draining.json()).toEqual({ status: 'draining' });
      expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
    } finally {
      await p.close();
    }
  });

  it('/readyz is 503 when a dependency is down', async () => {
    const p = await startTestServer('ops-ready');
    try {
      p.handle.readiness.push(async () => {
        throw new Error('redis: connection refused');
      });
      const r = await fetch(`${p.url}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ status: 'unavailable', reason: 'redis: connection refused' });
    } finally {
      await p.close();
    }
  });

  it('/metrics speaks Prometheus with the named series', async () => {
    await s.gql('query MetricsProbe { me { user { id } } }');
    await s.gql('{ member(id: "abc") { id } }');
    const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${OPS_METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    for (const series of [
      'steeple_graphql_request_duration_seconds_bucket{le="0.005",operation="MetricsProbe",type="query"}',
      'steeple_graphql_errors_total{code="BAD_USER_INPUT"}',
      'steeple_response_cache_events_total{event="hits"}',
      'steeple_db_pool_connections{state="in_use"}',
      'steeple_db_pool_connections{state="waiting"}',
      'steeple_sms_queue_jobs{state="waiting"}',
      'process_cpu_seconds_total',
    ]) {
      expect(text, series).toContain(series);
    }
  });
});

describe('queue age', () => {
  it('steeple_sms_queue_oldest_waiting_seconds is the age of the oldest waiting job (no worker here)', async () => {
    const scrape = async () => {
      const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${OPS_METRICS_TOKEN}` } })).text();
      return Number(/^steeple_sms_queue_oldest_waiting_seconds (\S+)$/m.exec(text)?.[1]);
    };
    // paused, so no worker of another test takes the probe job; a paused queue's jobs count too
    await s.deps.smsQueue.pause();
    await s.deps.smsQueue.drain();
    expect(await scrape()).toBe(0);
    const job = await s.deps.smsQueue.add('send-sms', { recipientId: 999_999, messageId: 1, churchId: 1, round: 0 }, { jobId: 'age-probe', timestamp: Date.now() - 90_000 });
    try {
      const age = await scrape();
      expect(age).toBeGreaterThanOrEqual(90);
      expect(age).toBeLessThan(120);
    } finally {
      await job.remove();
      await s.deps.smsQueue.resume();
    }
    expect(await scrape()).toBe(0);
  });
});
