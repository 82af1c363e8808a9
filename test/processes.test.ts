import { spawn, type ChildProcess } from 'node:child_process';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/db/client.js';
import { loadConfig } from '../src/config/env.js';
import { ensureUser } from '../src/modules/auth/bootstrap.js';
import { createPasswordHasher } from '../src/modules/auth/password.js';
import { createTestDatabase } from './helpers/db.js';
import { deleteKeys } from './helpers/redis.js';
import { freePortRun } from './helpers/ports.js';
import { TEST_REDIS_URL } from './helpers/server.js';

// Two real API processes (as on two machines) against one PostgreSQL and one Redis: a session
// made on one is good on the other, and survives a restart. No sticky sessions needed.
const base = await freePortRun(2); // two API processes
const prefix = `test:${process.pid}:procs:`;
let dbUrl: string;
let dropDb: () => Promise<void>;
const procs = new Map<number, ChildProcess>();

function startApi(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: dbUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.set(port, child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`API on ${port} did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('sandbox:')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (c) => reject(new Error(`API on ${port} exited with ${c}:\n${out}`)));
  });
}

async function stopApi(port: number): Promise<number | null> {
  const child = procs.get(port);
  if (!child || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  child.kill('SIGTERM');
  const code = await exited;
  procs.delete(port);
  return code;
}

async function gql(port: number, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { res, body: (await res.json()) as { data?: any; errors?: Array<{ extensions: { code: string } }> } };
}

beforeAll(async () => {
  const db = await createTestDatabase('procs');
  dbUrl = db.url;
  dropDb = db.drop;
  const config = loadConfig({ DATABASE_URL: dbUrl, ARGON2_MEMORY_KIB: '19456' });
  const database = createDatabase(dbUrl, config.db.pool);
  const sql = postgres(dbUrl, { max: 1 });
  try {
    const [c] = await sql`INSERT INTO churches (name, slug, time_zone) VALUES ('Shared Church', 'shared', 'UTC') RETURNING id`;
    await ensureUser(database.db, createPasswordHasher(config.auth.argon2), {
      email: 'roaming@x.test',
      name: 'Roaming User',
      password: 'a shared secret phrase',
      roles: [{ church: 'shared', role: 'staff' }],
    });
    expect(c!.id).toBeGreaterThan(0);
  } finally {
    await sql.end();
    await database.close();
  }
  await Promise.all([startApi(base), startApi(base + 1)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([...procs.keys()].map(stopApi));
  await dropDb?.();
  await deleteKeys(TEST_REDIS_URL, prefix);
});

describe('sessions across API processes', () => {
  it('a session made on one process is good on the other, and survives a restart', async () => {
    const login = await gql(base, 'mutation { login(email: "roaming@x.test", password: "a shared secret phrase") { name } }');
    expect(login.body.errors).toBeUndefined();
    const cookie = login.res.headers.getSetCookie()[0]!.split(';')[0]!;

    const other = await gql(base + 1, '{ me { user { email } churches { role church { slug } } } }', { cookie });
    expect(other.body.data.me).toEqual({ user: { email: 'roaming@x.test' }, churches: [{ role: 'STAFF', church: { slug: 'shared' } }] });

    expect(await stopApi(base)).toBe(0);
    await startApi(base);
    const afterRestart = await gql(base, '{ me { user { email } } }', { cookie });
    expect(afterRestart.body.data.me.user.email).toBe('roaming@x.test');

    // logging out on one process ends the session on the other
    await gql(base, 'mutation { logout }', { cookie });
    const gone = await gql(base + 1, '{ me { user { email } } }', { cookie });
    expect(gone.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
  }, 90_000);
});
