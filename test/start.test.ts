import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortRun } from './helpers/ports.js';

// `npm start` on a machine with nothing configured: embedded PostgreSQL, a redis-server from PATH,
// migrations, demo data, the sandbox URL, /healthz — then a clean stop on SIGTERM.
const dir = mkdtempSync(path.join(tmpdir(), 'steeple-start-'));
chmodSync(dir, 0o755); // embedded PostgreSQL runs as the OS user "postgres" when we are root
const port = await freePortRun(3); // API, embedded PostgreSQL, redis-server
let child: ChildProcess | undefined;

afterAll(async () => {
  // on failure: a graceful stop first, so the API stops its PostgreSQL and redis-server children
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
    child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

function waitForLine(proc: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`)), ms);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}; output:\n${out}`)));
  });
}

describe('npm start with embedded defaults', () => {
  it('starts PostgreSQL and Redis, migrates, seeds the demo and serves the sandbox', async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...env,
        NODE_ENV: 'development',
        PORT: String(port),
        HOST: '127.0.0.1',
        EMBEDDED_PG_DIR: path.join(dir, 'postgres'),
        EMBEDDED_PG_PORT: String(port + 1),
        EMBEDDED_REDIS_DIR: path.join(dir, 'redis'),
        EMBEDDED_REDIS_PORT: String(port + 2),
        API_WORKERS: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const printed = await waitForLine(child, /sandbox: (http:\/\/\S+)[\s\S]*login\(email: "owner@grace.example"/, 90_000);
    expect(printed).toContain(`http://127.0.0.1:${port}/graphql`);
    expect(printed).toContain('Demo sign-in');

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });

    const sandbox = await fetch(`http://127.0.0.1:${port}/graphql`, { headers: { accept: 'text/html' } });
    expect(sandbox.status).toBe(200);
    expect(await sandbox.text()).toMatch(/sandbox|apollo/i);

    const gql = (query: string, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
    const anonymous = (await (await gql('{ churches { totalCount } }')).json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(anonymous.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    const signIn = await gql('mutation { login(email: "owner@grace.example", password: "steeple-demo-2026") { name } }');
    const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const res = await gql('{ churches { totalCount nodes { slug memberCount } } }', { cookie });
    const body = (await res.json()) as { data: { churches: { totalCount: number; nodes: Array<{ slug: string; memberCount: number }> } } };
    expect(body.data.churches.totalCount).toBeGreaterThanOrEqual(1);
    expect(body.data.churches.nodes.every((c) => c.memberCount > 0)).toBe(true);
    expect(existsSync(path.join(dir, 'postgres', 'PG_VERSION'))).toBe(true);

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  }, 120_000);
});
