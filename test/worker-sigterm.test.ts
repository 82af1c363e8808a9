import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/db.js';
import { cleanEnv, spawnTs, stop, type Spawned } from './helpers/processes.js';
import { TEST_REDIS_URL } from './helpers/server.js';

// worker/main.ts must handle SIGTERM from before the worker starts: a signal the moment "SMS worker
// ready" is out (an orchestrator, npm start's supervisor, a test) is a clean stop with exit 0, not
// the default action that kills the process. The worker is held inside the very write of its
// "ready" line (test/helpers/hold-after-line.mjs) while the signal is sent, so the moment is exact.

const HOLD = path.resolve(import.meta.dirname, 'helpers/hold-after-line.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'steeple-worker-sigterm-'));
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const running: Spawned[] = [];

beforeAll(async () => {
  db = await createTestDatabase('worker_sigterm');
});
afterAll(async () => {
  for (const p of running) await stop(p);
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

function spawnWorker(holdAfter: string, until: string): Spawned {
  const p = spawnTs(
    'worker/main.ts',
    [],
    cleanEnv({
      STEEPLE_ENV_FILE: path.join(dir, 'absent.env'),
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `test:${process.pid}:worker-sigterm:`,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${HOLD}`.trim(),
      STEEPLE_TEST_HOLD_AFTER: holdAfter,
      STEEPLE_TEST_HOLD_UNTIL: until,
    }),
  );
  running.push(p);
  return p;
}

describe('worker SIGTERM', () => {
  it('a SIGTERM sent the moment "SMS worker ready" appears stops the worker cleanly: exit 0', async () => {
    const go = path.join(dir, 'go-ready');
    const p = spawnWorker('SMS worker ready', go);
    await p.waitFor(/SMS worker ready/, 60_000);
    // the worker stands right after writing "ready": whatever it does next has not run yet
    // (without a SIGTERM handler installed yet, the kernel's default action ends it here)
    p.child.kill('SIGTERM');
    writeFileSync(go, '');
    expect(await p.exited).toBe(0);
    expect(p.child.signalCode).toBeNull();
    expect(p.output()).toMatch(/"signal":"SIGTERM"[^\n]*worker stopping: finishing active sends/);
  }, 90_000);
});
