import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';

/**
 * Driving the fleet of deploy/ through the same script `npm run fleet` runs (scripts/fleet.mjs),
 * in a state directory of the test's own: its ports, its processes, HAProxy's view of the API
 * servers, and plain HTTP requests to any of them.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/fleet.mjs');

export interface FleetPorts {
  lb: number;
  api1: number;
  api2: number;
  api1Metrics: number;
  api2Metrics: number;
  pgbouncer: number;
  pgPrimary: number;
  pgReplica: number;
  redisQueue: number;
  redisCache: number;
  haproxyStats: number;
}

/** The Debian binaries the fleet needs that are not installed (empty: it can run here). */
export function missingFleetBinaries(): string[] {
  const onPath = (name: string) => ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')].some((d) => existsSync(path.join(d, name)));
  const pg = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));
  return [...['haproxy', 'pgbouncer', 'redis-server'].filter((b) => !onPath(b)), ...(pg ? [] : ['initdb (postgresql)'])];
}

/** `node scripts/fleet.mjs <args> --state-dir <dir>`, asynchronously (a request loop keeps running meanwhile). */
export function fleetCli(stateDir: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, ...args, '--state-dir', stateDir], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n(test: fleet ${args.join(' ')} killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    // 'close': every byte of the output has been read ('exit' can come first)
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** fleetCli that must succeed. */
export async function fleet(stateDir: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const r = await fleetCli(stateDir, args, timeoutMs);
  if (r.code !== 0) throw new Error(`fleet ${args.join(' ')} exited with ${r.code}:\n${r.output}`);
  return r.output;
}

export function fleetPorts(stateDir: string): FleetPorts {
  return (JSON.parse(readFileSync(path.join(stateDir, 'fleet.json'), 'utf8')) as { ports: FleetPorts }).ports;
}

export interface PartStatus {
  name: string;
  port: number | null;
  pid: number | null;
  running: boolean;
  answers: boolean;
  detail: string;
}

export async function fleetStatus(stateDir: string): Promise<PartStatus[]> {
  const r = await fleetCli(stateDir, ['status', '--json'], 30_000);
  return (JSON.parse(r.output) as { parts: PartStatus[] }).parts;
}

/** The pid the fleet recorded for a part (PostgreSQL: its postmaster.pid). */
export function partPid(stateDir: string, part: string): number | null {
  const file = part.startsWith('postgres-') ? path.join(stateDir, 'data', part, 'postmaster.pid') : path.join(stateDir, 'run', `${part}.pid`);
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Alive and not a zombie (orphans here may never be reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Any live process in the process group (a node started by the fleet is one group: its primary and API processes). */
export function groupAlive(pgid: number): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && !/^[ZX]/.test(fields[0]!)) return true;
    } catch {
      // exited meanwhile
    }
  }
  return false;
}

/** Every live process that belongs to the fleet in stateDir (its paths in the command line or environment). */
export function fleetProcesses(stateDir: string): Array<{ pid: number; args: string; env: string }> {
  const found: Array<{ pid: number; args: string; env: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const pid = Number(name);
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      const envFile = /(?:^|\0)STEEPLE_ENV_FILE=([^\0]*)/.exec(env)?.[1] ?? '';
      if ((args.includes(stateDir) || envFile.startsWith(stateDir)) && alive(pid)) found.push({ pid, args: args.trim(), env: envFile });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** HAProxy's state of each API server (`show stat` on the fleet's admin socket): { api1: 'UP', … }. */
export function haproxyServers(stateDir: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path.join(stateDir, 'run', 'haproxy.sock'));
    let text = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('no answer on the HAProxy socket')));
    socket.on('connect', () => socket.write('show stat\n'));
    socket.on('data', (d) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const [header = '', ...rows] = text.replace(/^# /, '').trim().split('\n');
      const cols = header.split(',');
      const out: Record<string, string> = {};
      for (const row of rows) {
        const rec = Object.fromEntries(row.split(',').map((v, i) => [cols[i], v]));
        if (rec.pxname === 'api' && /^api\d$/.test(rec.svname ?? '')) out[rec.svname!] = rec.status!;
      }
      resolve(out);
    });
  });
}

/** Waits until HAProxy reports the server in that state (exactly 'UP' / 'DOWN'); returns how long it took. */
export async function waitForServer(stateDir: string, server: string, state: 'UP' | 'DOWN', timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const s = await haproxyServers(stateDir).catch(() => ({}) as Record<string, string>);
    if (s[server] === state) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`HAProxy did not see ${server} ${state} within ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still runs after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
  ms: number;
}

/** One POST /graphql (or another path) on a fresh connection, optionally from another loopback address. */
export function post(port: number, body: unknown, opts: { headers?: Record<string, string>; localAddress?: string; path?: string; timeoutMs?: number } = {}): Promise<Answer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/graphql',
        method: 'POST',
        agent: false,
        localAddress: opts.localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...opts.headers },
      },
      (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (raw += d));
        res.on('end', () => {
          let parsed: unknown = raw;
          try {
            parsed = JSON.parse(raw);
          } catch {
            // not JSON: kept as text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, ms: performance.now() - t0 });
        });
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

/** The session cookie (name=value) a login answer set. */
export function cookieOf(a: Answer): string {
  const set = ([] as string[]).concat(a.headers['set-cookie'] ?? []);
  const c = set.map((s) => s.split(';')[0]!).find((s) => /^(__Host-)?steeple_session=./.test(s));
  if (!c) throw new Error(`no session cookie in ${JSON.stringify(a.headers)} ${JSON.stringify(a.body)}`);
  return c;
}

/** A Prometheus counter's value summed over the series whose labels include these (one node's metrics listener). */
export async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let raw = '';
        res.on('data', (d) => (raw += d));
        res.on('end', () => resolve(raw));
      })
      .on('error', reject);
  });
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/** One Redis command on a fresh connection (ioredis, no retries). */
export async function redisCall(port: number, args: Array<string | number>): Promise<any> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 5000 });
  r.on('error', () => {});
  try {
    await r.connect();
    return await r.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    r.disconnect();
  }
}

/** Every key matching a pattern on one Redis server (SCAN). */
export async function redisKeys(port: number, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await redisCall(port, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000])) as [string, string[]];
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** A field of INFO (e.g. evicted_keys, used_memory, maxmemory). */
export async function redisInfo(port: number, field: string): Promise<string | undefined> {
  const info = (await redisCall(port, ['INFO', 'all'])) as string;
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** psql against one of the fleet's servers (rows as text, |-separated). */
export function psql(port: number, sql: string, database = 'steeple'): string {
  const bin = ['/usr/lib/postgresql'].flatMap((r) => readdirSync(r).map((v) => path.join(r, v, 'bin', 'psql'))).find(existsSync) ?? 'psql';
  const r = spawnSync(bin, ['-X', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-c', sql], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim();
}
