import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dotEnvPath, dotEnvProblems, loadDotEnv } from '../src/config/dotenv.js';
import { createTestDatabase } from './helpers/db.js';
import { cleanEnv, runTs, spawnTs, stop, type Spawned } from './helpers/processes.js';
import { freePort, TEST_REDIS_URL } from './helpers/server.js';

const dir = mkdtempSync(path.join(tmpdir(), 'steeple-dotenv-'));
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const running: Spawned[] = [];

beforeAll(async () => {
  db = await createTestDatabase('dotenv');
});
afterAll(async () => {
  for (const p of running) await stop(p);
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

function envFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('.env: the loader', () => {
  it('is the .env beside package.json unless STEEPLE_ENV_FILE says otherwise', () => {
    expect(dotEnvPath({})).toBe(path.resolve(import.meta.dirname, '..', '.env'));
    expect(dotEnvPath({ STEEPLE_ENV_FILE: '/tmp/x.env' })).toBe('/tmp/x.env');
  });

  it('sets what the environment lacks and leaves the rest: the real environment wins', () => {
    const file = envFile('a.env', '# comment\nPORT=4100\nexport HOST="127.0.0.2"\nLOG_LEVEL=debug # trailing\n\nMULTI="one\ntwo"\n');
    const env: NodeJS.ProcessEnv = { STEEPLE_ENV_FILE: file, PORT: '5000', LOG_LEVEL: '' };
    expect(loadDotEnv(env).sort()).toEqual(['HOST', 'MULTI']);
    expect(env).toMatchObject({ PORT: '5000', HOST: '127.0.0.2', LOG_LEVEL: '', MULTI: 'one\ntwo' });
  });

  it('takes a missing file as no file', () => {
    const env: NodeJS.ProcessEnv = { STEEPLE_ENV_FILE: path.join(dir, 'absent.env') };
    expect(loadDotEnv(env)).toEqual([]);
  });

  it('refuses a malformed file, naming every bad line', () => {
    expect(dotEnvProblems('A=1\nthis is not an assignment\n3X=no\nB="open\nC=2\n')).toEqual([
      'line 2: expected NAME=value, got "this is not an assignment"',
      'line 3: expected NAME=value, got "3X=no"',
      'line 4: the value opened with " is never closed',
    ]);
    const file = envFile('bad.env', 'PORT=1\nPORT 2\n');
    expect(() => loadDotEnv({ STEEPLE_ENV_FILE: file })).toThrow(/bad\.env[\s\S]*line 2: expected NAME=value/);
  });
});

describe('.env: every entry point reads it', () => {
  const common = () => `DATABASE_URL=${db.url}\nREDIS_URL=${TEST_REDIS_URL}\nREDIS_KEY_PREFIX=test:${process.pid}:dotenv:\n`;

  it('the server takes its settings from the file, the real environment winning', async () => {
    const [filePort, realPort] = [await freePort(), await freePort()];
    const file = envFile('server.env', `${common()}HOST=127.0.0.1\nPORT=${filePort}\nAPI_WORKERS=1\nWORKER=false\nSEED_DEMO=false\nLOG_LEVEL=warn\n`);
    const p = spawnTs('src/main.ts', [], cleanEnv({ STEEPLE_ENV_FILE: file, PORT: String(realPort) }));
    running.push(p);
    await p.waitFor(/sandbox: http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
    const ready = await fetch(`http://127.0.0.1:${realPort}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });
    await expect(fetch(`http://127.0.0.1:${filePort}/healthz`)).rejects.toThrow();
    expect(await stop(p)).toBe(0);
  }, 90_000);

  it('the SMS worker finds DATABASE_URL and REDIS_URL in it', async () => {
    const file = envFile('worker.env', `${common()}LOG_LEVEL=info\n`);
    const p = spawnTs('worker/main.ts', [], cleanEnv({ STEEPLE_ENV_FILE: file }));
    running.push(p);
    await p.waitFor(/SMS worker ready/, 60_000);
    expect(await stop(p)).toBe(0);
  }, 90_000);

  it('the CLIs use it (db:migrate)', async () => {
    const file = envFile('cli.env', `${common()}LOG_LEVEL=info\n`);
    const r = await runTs('src/db/migrate-cli.ts', [], cleanEnv({ STEEPLE_ENV_FILE: file }));
    expect(r.output).toContain('migrations applied');
    expect(r.code).toBe(0);
  }, 90_000);

  it('a malformed file stops the start with the file and line', async () => {
    const file = envFile('broken.env', 'PORT=4000\nSMS_PROVIDER twilio\n');
    const r = await runTs('src/main.ts', [], cleanEnv({ STEEPLE_ENV_FILE: file }));
    expect(r.code).toBe(1);
    expect(r.output).toContain(`Invalid configuration:\n  - ${file} line 2: expected NAME=value, got "SMS_PROVIDER twilio"`);
  }, 90_000);
});
