import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { URL_FILE } from '../src/db/bootstrap.js';
import { freePortRun } from './helpers/ports.js';
import { cleanEnv, runTs, spawnTs, stop, type Spawned } from './helpers/processes.js';

// `npm start` on embedded defaults, and the CLIs run beside it from another shell with the same
// settings: they use its PostgreSQL (one data directory takes one server) instead of failing.
const dir = mkdtempSync(path.join(tmpdir(), 'steeple-cli-'));
chmodSync(dir, 0o755); // embedded PostgreSQL runs as the OS user "postgres" when we are root
const port = await freePortRun(3); // API, embedded PostgreSQL, redis-server
const pgDir = path.join(dir, 'postgres');
const env = cleanEnv({
  NODE_ENV: 'development',
  PORT: String(port),
  HOST: '127.0.0.1',
  EMBEDDED_PG_DIR: pgDir,
  EMBEDDED_PG_PORT: String(port + 1),
  EMBEDDED_REDIS_DIR: path.join(dir, 'redis'),
  EMBEDDED_REDIS_PORT: String(port + 2),
  API_WORKERS: '1',
  STEEPLE_ENV_FILE: path.join(dir, 'none.env'),
  LOG_LEVEL: 'info',
});
let primary: Spawned | undefined;

afterAll(async () => {
  if (primary) await stop(primary);
  rmSync(dir, { recursive: true, force: true });
});

const gql = async (query: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { res, body: (await res.json()) as { data?: any; errors?: Array<{ extensions: { code: string } }> } };
};

describe('the CLIs beside npm start on the embedded database', () => {
  let savedUrlFile = '';

  it('db:migrate, db:seed and user:create use the running server', async () => {
    primary = spawnTs('src/main.ts', [], env);
    const banner = await primary.waitFor(/psql "(postgres:\/\/\S+)"/, 90_000);
    const url = banner[1]!;
    expect(url).toBe(`postgres://postgres:postgres@127.0.0.1:${port + 1}/steeple`);
    savedUrlFile = readFileSync(path.join(pgDir, URL_FILE), 'utf8');
    expect(savedUrlFile.trim()).toBe(url);

    const migrate = await runTs('src/db/migrate-cli.ts', [], env);
    expect(migrate.output).toContain('using the embedded PostgreSQL npm start runs');
    expect(migrate.code, migrate.output).toBe(0);

    const seed = await runTs('src/db/seed-cli.ts', ['--churches', '1', '--members-per-church', '5', '--seed', '7'], env);
    expect(seed.code, seed.output).toBe(0);
    expect(seed.output).toContain('seeded 1 churches, 5 members');

    const create = await runTs(
      'src/modules/auth/user-cli.ts',
      ['--email', 'pastor@example.org', '--name', 'Pat Pastor', '--password', 'a long enough passphrase', '--role', 'synthetic-7-1:owner'],
      env,
    );
    expect(create.code, create.output).toBe(0);
    expect(create.output).toMatch(/created user pastor@example.org \(id \d+\) with synthetic-7-1:owner/);

    // what the CLIs wrote is what the running server serves
    const signIn = await gql('mutation { login(email: "pastor@example.org", password: "a long enough passphrase") { name } }');
    expect(signIn.body.data.login).toEqual({ name: 'Pat Pastor' });
    const cookie = signIn.res.headers.getSetCookie()[0]!.split(';')[0]!;
    const churches = await gql('{ me { churches { role church { slug memberCount } } } }', { cookie });
    expect(churches.body.data.me.churches).toEqual([{ role: 'OWNER', church: { slug: 'synthetic-7-1', memberCount: 5 } }]);

    // and the banner's URL reaches that database (what psql would do)
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`SELECT count(*)::int AS n FROM churches`;
      expect(row!.n).toBe(3);
    } finally {
      await sql.end();
    }

    expect(await stop(primary)).toBe(0);
    primary = undefined;
    expect(existsSync(path.join(pgDir, URL_FILE))).toBe(false);
  }, 240_000);

  it('a URL file left by a killed run does not mislead: the CLI starts and stops a server of its own', async () => {
    expect(savedUrlFile).not.toBe('');
    writeFileSync(path.join(pgDir, URL_FILE), savedUrlFile);
    const migrate = await runTs('src/db/migrate-cli.ts', [], env);
    expect(migrate.code, migrate.output).toBe(0);
    expect(migrate.output).toContain('ignoring a stale URL file');
    expect(migrate.output).toContain('embedded PostgreSQL running');
    expect(migrate.output).toContain('migrations applied');
    expect(existsSync(path.join(pgDir, URL_FILE))).toBe(false);
    expect(existsSync(path.join(pgDir, 'postmaster.pid'))).toBe(false);
  }, 120_000);
});
