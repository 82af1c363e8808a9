import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printSchemaSdl } from '../src/graphql/schema.js';
import { adminSql, dbUrl } from './helpers/db.js';
import { startFakeTwilio, twilioEnv, type FakeTwilio } from './helpers/fake-twilio.js';
import { cleanEnv } from './helpers/processes.js';
import { freePort, sessionCookieOf, TEST_REDIS_URL } from './helpers/server.js';

// Issue 11, item 7: the production build. `npm start` with NODE_ENV=production builds dist/ (it is
// removed first), runs the compiled API (two cluster processes) and SMS worker on an empty database
// (so the built migrator must find drizzle/), the built user CLI makes the sign-in, and a text goes
// out through the fake Twilio and ends DELIVERED. No process may load tsx or any .ts file: a
// module hook in NODE_OPTIONS (inherited by the worker and the forks) fails any such import.
const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');
const dir = mkdtempSync(path.join(tmpdir(), 'steeple-build-'));
const GUARD = path.join(dir, 'no-tsx.mjs');
writeFileSync(
  GUARD,
  `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/[\\\\/]node_modules[\\\\/]tsx[\\\\/]/.test(r.url) || /\\\\.[cm]?ts$/.test(r.url)) throw new Error('no-tsx guard: ' + r.url + ' from ' + context.parentURL);
  return r;
}\`));
`,
);
const dbName = `steeple_test_build_${process.pid}`;
const PASSWORD = 'built and shipped 11.7';
let fake: FakeTwilio;
let primary: ChildProcess | undefined;
let out = '';

beforeAll(async () => {
  fake = await startFakeTwilio();
  // empty, not the migrated template: the built migrator has to find and apply drizzle/
  await adminSql(async (sql) => {
    await sql.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await sql.unsafe(`CREATE DATABASE ${dbName}`);
  });
  rmSync(DIST, { recursive: true, force: true });
});

afterAll(async () => {
  if (primary && primary.exitCode === null && primary.signalCode === null) primary.kill('SIGKILL');
  await fake?.close();
  await adminSql((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
  rmSync(dir, { recursive: true, force: true });
});

function productionEnv(extra: Record<string, string> = {}) {
  return cleanEnv({
    NODE_ENV: 'production',
    NODE_OPTIONS: `--import ${GUARD}`,
    DATABASE_URL: dbUrl(dbName),
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'info',
    ...extra,
  });
}

/** The command line of a process and of all its descendants. */
function processTree(pid: number): Array<{ pid: number; cmdline: string }> {
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [{ pid, cmdline }, ...children.flatMap(processTree)];
}

async function until<T>(what: string, fn: () => Promise<T | false | null | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the production build', () => {
  it('the guard fails an import of tsx (so a clean run below means none happened)', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('tsx')"], { env: productionEnv(), encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('no-tsx guard');
  });

  it('npm start builds dist/, runs it without tsx, and a text goes out and is delivered', async () => {
    const port = await freePort();
    const prefix = `build-${randomUUID().slice(0, 8)}:`;
    primary = spawn(process.execPath, ['scripts/start.mjs', '--workers', '2'], {
      cwd: ROOT,
      env: productionEnv({
        ...twilioEnv(fake),
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        SEED_DEMO: 'false',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    primary.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    primary.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => primary!.once('exit', (code) => r(code)));
    await until('the API', async () => {
      if (primary!.exitCode !== null) throw new Error(`exited ${primary!.exitCode}:\n${out}`);
      return /Steeple API ready/.test(out);
    }, 75_000);
    expect(out).toContain('building dist/ (missing)');

    // primary = the launcher; its children the two API forks (the launcher again) and the built worker
    const tree = processTree(primary.pid!);
    for (const p of tree) expect(p.cmdline).not.toMatch(/tsx|esbuild|\.ts\b/);
    expect(tree.filter((p) => p.cmdline.includes('scripts/start.mjs'))).toHaveLength(3);
    expect(tree.filter((p) => p.cmdline.endsWith(path.join('dist', 'worker', 'main.js')))).toHaveLength(1);

    // type-graphql built by tsc (decorator metadata) gives the schema the sources give under esbuild
    const builtSdl = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const { printSchemaSdl } = await import('./dist/src/graphql/schema.js'); process.stdout.write(await printSchemaSdl());"],
      { cwd: ROOT, env: productionEnv(), encoding: 'utf8' },
    );
    expect(builtSdl.stderr).toBe('');
    expect(builtSdl.stdout).toBe(await printSchemaSdl());

    const sql = postgres(dbUrl(dbName), { max: 1, onnotice: () => {} });
    try {
      const slug = `built-${process.pid}`;
      await sql`INSERT INTO churches (name, slug, time_zone, sms_from_number) VALUES ('Built Church', ${slug}, 'America/Chicago', '+13125550190')`;
      const cli = spawnSync(
        process.execPath,
        ['scripts/start.mjs', 'src/modules/auth/user-cli.ts', '--email', 'owner@built.test', '--name', 'Built Owner', '--role', `${slug}:owner`],
        { cwd: ROOT, env: productionEnv({ STEEPLE_PASSWORD: PASSWORD }), encoding: 'utf8', timeout: 30_000 },
      );
      expect(cli.status, cli.stdout + cli.stderr).toBe(0);
      expect(cli.stderr).not.toContain('building'); // dist/ is fresh now

      const gql = async (query: string, variables: Record<string, unknown>, cookie?: string) => {
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
          body: JSON.stringify({ query, variables }),
        });
        return { res, body: (await res.json()) as { data?: any; errors?: unknown } };
      };
      const login = await gql('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', { e: 'owner@built.test', p: PASSWORD });
      expect(login.body.errors).toBeUndefined();
      // production: Secure by default, so the __Host- cookie
      const cookie = sessionCookieOf(login.res, '__Host-steeple_session');
      expect(cookie).not.toBeNull();
      const [church] = await sql<{ id: number }[]>`SELECT id FROM churches WHERE slug = ${slug}`;
      const member = await gql(
        'mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }',
        { i: { churchId: String(church!.id), firstName: 'Ada', lastName: 'Built', phone: '+13125558811', status: 'MEMBER' } },
        cookie!,
      );
      expect(member.body.errors).toBeUndefined();
      const sent = await gql(
        'mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "Built and sent", audience: { memberIds: $m }, urgent: true) { id } }',
        { c: String(church!.id), m: [member.body.data.createMember.id] },
        cookie!,
      );
      expect(sent.body.errors).toBeUndefined();
      const messageId = Number(sent.body.data.sendMessage.id);

      // the built worker sent it; the fake's callbacks reached the built API's webhook
      await until('DELIVERED', async () => {
        const [r] = await sql<{ status: string }[]>`SELECT status FROM message_recipients WHERE message_id = ${messageId}`;
        return r?.status === 'delivered';
      });
      expect(fake.messages.filter((m) => m.to === '+13125558811').map((m) => m.body)).toEqual(['Built and sent']);
      expect(fake.callbackFailures).toEqual([]);
    } finally {
      await sql.end();
    }

    primary.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).not.toContain('no-tsx guard');
  }, 90_000);

  it('a dist/ older than the sources is rebuilt before it runs', () => {
    const stamp = path.join(DIST, 'src/main.js');
    const old = new Date('2001-01-01T00:00:00Z');
    utimesSync(stamp, old, old);
    const r = spawnSync(process.execPath, ['scripts/start.mjs', 'src/modules/auth/user-cli.ts', '--help'], { cwd: ROOT, env: productionEnv(), encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('building dist/ (older than the sources)');
    expect(r.stdout).toContain('usage: npm run user:create');
    expect(statSync(stamp).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  }, 60_000);
});
