import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/db.js';
import { cleanEnv } from './helpers/processes.js';
import { freePort, TEST_REDIS_URL } from './helpers/server.js';

// `npm start` (exec node scripts/start.mjs) in development: the launcher registers tsx in its own
// process and runs src/main.ts; node:cluster forks re-run the launcher; the SMS worker is
// worker/main.ts through tsx. No build is involved, and SIGTERM to the primary still stops it all.
const ROOT = path.resolve(import.meta.dirname, '..');
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase('start_launcher');
});
afterAll(async () => {
  await db?.drop();
});

function processTree(pid: number): string[] {
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [cmdline, ...children.flatMap(processTree)];
}

describe('the launcher in development', () => {
  it('runs a CLI from its TypeScript source, arguments intact', () => {
    const r = spawnSync(process.execPath, ['scripts/start.mjs', 'src/modules/auth/user-cli.ts', '--help'], {
      cwd: ROOT,
      env: cleanEnv({ NODE_ENV: 'development' }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('usage: npm run user:create');
    expect(r.stderr).not.toContain('building');
  });

  it('refuses an entry point outside src/ and worker/', () => {
    const r = spawnSync(process.execPath, ['scripts/start.mjs', 'test/helpers/db.ts'], { cwd: ROOT, env: cleanEnv({ NODE_ENV: 'development' }), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no entry point test/helpers/db.ts under src/ or worker/');
  });

  it('npm start with two API processes and the worker, then a clean stop on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['scripts/start.mjs', '--workers', '2'], {
      cwd: ROOT,
      env: cleanEnv({
        NODE_ENV: 'development',
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: `launcher-${process.pid}:`,
        PORT: String(port),
        HOST: '127.0.0.1',
        SEED_DEMO: 'false',
        LOG_LEVEL: 'info',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not ready; output:\n${out}`)), 60_000);
        const check = () => /Steeple API ready/.test(out) && (clearTimeout(timer), resolve());
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        void exited.then((code) => reject(new Error(`exited ${code}; output:\n${out}`)));
      });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const tree = processTree(child.pid!);
      expect(tree.filter((c) => c.includes('scripts/start.mjs --workers 2'))).toHaveLength(3);
      expect(tree.filter((c) => c.includes('--import tsx') && c.endsWith(path.join('worker', 'main.ts')))).toHaveLength(1);
      expect(out).not.toContain('building');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
