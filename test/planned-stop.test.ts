import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/db.js';
import { startMain, type MainProcess } from './helpers/main-process.js';
import { deleteKeys } from './helpers/redis.js';
import { TEST_REDIS_URL } from './helpers/server.js';

// Issue 10, item 8: a planned stop of `npm start` (the cluster with its SMS worker) is not a
// crash: no error-level line, in particular not "SMS worker exited; restarting".
const prefix = `test:${process.pid}:planned-stop:`;
let db: { url: string; drop(): Promise<void> };
const started: MainProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('planned_stop');
});
afterAll(async () => {
  for (const p of started) p.kill();
  await db?.drop();
  await deleteKeys(TEST_REDIS_URL, prefix);
}, 30_000);

async function start(detached: boolean) {
  const p = await startMain({
    args: ['--workers', '2'],
    detached,
    env: { DATABASE_URL: db.url, REDIS_KEY_PREFIX: prefix, WORKER: 'true', SHUTDOWN_GRACE_MS: '3000', METRICS_PORT: '0' },
  });
  started.push(p);
  await p.waitFor(/Steeple API ready/);
  await p.waitFor(/SMS worker ready/);
  return p;
}

function errorLines(p: MainProcess) {
  return p.lines().filter((l) => l.unparsed || (typeof l.level === 'number' && l.level >= 50));
}

describe('a planned stop logs no error', () => {
  it('SIGTERM to the primary (npm start execs node: a service manager signals it)', async () => {
    const p = await start(false);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(p.output()).toMatch(/"msg":"stopped"/);
    expect(errorLines(p), p.output()).toEqual([]);
    expect(p.output()).not.toMatch(/SMS worker exited/);
  }, 90_000);

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the whole process group (Ctrl-C in a terminal, a container stop)`, async () => {
      const p = await start(true);
      process.kill(-p.child.pid!, signal);
      expect((await p.exited).code).toBe(0);
      expect(errorLines(p), p.output()).toEqual([]);
      expect(p.output()).not.toMatch(/SMS worker exited/);
    }, 90_000);
  }
});

describe('SHUTDOWN_DELAY_MS: unready first, still serving, then closed', () => {
  it('after SIGTERM /readyz answers 503 while /graphql is still answered (closing each connection); then it exits', async () => {
    const p = await startMain({
      args: ['--workers', '1'],
      env: { DATABASE_URL: db.url, REDIS_KEY_PREFIX: prefix, WORKER: 'false', SHUTDOWN_DELAY_MS: '1500', METRICS_PORT: '0' },
    });
    started.push(p);
    await p.waitFor(/Steeple API ready/);
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    await p.waitFor(/"msg":"draining"/);
    const ready = await fetch(`${p.url}/readyz`);
    expect(ready.status).toBe(503);
    const answer = await fetch(`${p.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('connection')).toBe('close');
    expect(await answer.json()).toEqual({ data: { __typename: 'Query' } });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect((await p.exited).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(errorLines(p), p.output()).toEqual([]);
  }, 90_000);
});
