import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { createDatabase } from '../src/db/client.js';
import { ensureUser } from '../src/modules/auth/bootstrap.js';
import { createPasswordHasher } from '../src/modules/auth/password.js';
import { createTestDatabase } from './helpers/db.js';
import { failedAccepted, requestOnce, startLoad, summarize, type LoadRun, type LoadStats } from './helpers/load.js';
import { deleteKeys } from './helpers/redis.js';
import { TEST_REDIS_URL } from './helpers/server.js';

// Graceful shutdown under load, against real `npm start` processes (node --import tsx src/main.ts):
// SIGTERM mid-load loses no accepted request and exits within the grace period (one process and a
// cluster, which leaves no process behind); a killed cluster process is replaced and costs at most
// its in-flight requests; /healthz and /readyz while serving and while draining.

const HOST = '127.0.0.1';
const GRACE_MS = 3000;
const CONCURRENCY = 16;
const EMAIL = 'loader@shutdown.test';
const PASSWORD = 'a long shutdown test phrase';
const prefix = `test:${process.pid}:shutdown:`;

let dbUrl: string;
let dropDb: (() => Promise<void>) | undefined;
let churchId: number;
const spawned = new Set<ChildProcess>();
/** every process seen under a spawned server (pid → command line), SIGKILLed in afterAll if still there */
const seenPids = new Map<number, string>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

interface Proc {
  pid: number;
  args: string;
}

function childrenOf(pid: number): Proc[] {
  const r = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), args: m[2]! }));
}

function descendantsOf(pid: number): Proc[] {
  const out: Proc[] = [];
  for (const c of childrenOf(pid)) out.push(c, ...descendantsOf(c.pid));
  for (const p of out) seenPids.set(p.pid, p.args);
  return out;
}

/** The forked API processes of a primary (the SMS worker runs worker/main.ts; esbuild helpers are neither). */
function apiProcesses(primaryPid: number): Proc[] {
  const list = childrenOf(primaryPid).filter((c) => /src\/main\.ts/.test(c.args));
  for (const p of list) seenPids.set(p.pid, p.args);
  return list;
}

/** Established server-side TCP connections on `port` that process `pid` holds. */
function connectionsHeldBy(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const localPort = parseInt(f[1]!.split(':')[1]!, 16);
    if (localPort === port && f[3] === '01') inodes.add(f[9]!);
  }
  let n = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) n++;
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return 0;
  }
  return n;
}

interface Server {
  child: ChildProcess;
  pid: number;
  port: number;
  cookie: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function getJson(port: number, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://${HOST}:${port}${path}`);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body };
}

async function startServer(workers: number, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--workers', String(workers)], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST,
      DATABASE_URL: dbUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      WORKER: 'false',
      // every load request reaches PostgreSQL (no response cache)
      CACHE_ENABLED: 'false',
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      // one login per server start (argon2) must not be limited
      LOGIN_IP_MAX_ATTEMPTS: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
    let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal, at: performance.now() })),
  );
  let dead = false;
  void exited.then(() => (dead = true));

  const deadline = Date.now() + 50_000;
  for (;;) {
    if (dead) throw new Error(`server exited before it was ready:\n${out}`);
    if (Date.now() > deadline) throw new Error(`server not ready in time:\n${out}`);
    try {
      const r = await getJson(port, '/readyz');
      // the primary has printed its banner once every API process listens
      if (r.status === 200 && out.includes('sandbox:')) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }

  const login = await fetch(`http://${HOST}:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `mutation { login(email: "${EMAIL}", password: "${PASSWORD}") { email } }` }),
  });
  const loginBody = (await login.json()) as { errors?: unknown };
  expect(loginBody.errors).toBeUndefined();
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('steeple_session='));
  expect(cookie).toBeDefined();
  return { child, pid: child.pid!, port, cookie: cookie!, output: () => out, exited };
}

const LOAD_QUERY = `query Load($churchId: ID!, $first: Int!) {
  me { user { email } }
  members(churchId: $churchId, first: $first) { nodes { id firstName lastName status } }
}`;

function loadAgainst(server: Server): LoadRun {
  return startLoad({
    host: HOST,
    port: server.port,
    path: '/graphql',
    concurrency: CONCURRENCY,
    headers: { cookie: server.cookie },
    body: (i) => JSON.stringify({ query: LOAD_QUERY, variables: { churchId: String(churchId), first: 1 + (i % 100) } }),
  });
}

type ReadyzOutcome = 'ready' | 'draining' | 'refused' | 'reset' | 'other';
interface ReadyzPoll {
  /** sent / answered, in ms after the signal */
  sentMs: number;
  doneMs: number;
  outcome: ReadyzOutcome;
  detail: string;
}

/** GET /readyz on a fresh connection (no keep-alive). */
function readyzOnce(port: number): Promise<{ outcome: ReadyzOutcome; detail: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: HOST, port, path: '/readyz', agent: false, timeout: 2000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('error', () => {});
      res.on('close', () => {
        if (!res.complete) return resolve({ outcome: 'other', detail: `truncated ${res.statusCode}` });
        const detail = `${res.statusCode} ${text}`;
        if (res.statusCode === 200 && text === '{"status":"ready"}') resolve({ outcome: 'ready', detail });
        else if (res.statusCode === 503 && text === '{"status":"draining"}') resolve({ outcome: 'draining', detail });
        else resolve({ outcome: 'other', detail });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') resolve({ outcome: 'refused', detail: e.code });
      else if (e.code === 'ECONNRESET' || e.code === 'EPIPE') resolve({ outcome: 'reset', detail: e.code });
      else resolve({ outcome: 'other', detail: e.code ?? e.message });
    });
  });
}

/**
 * Polls /readyz on a fresh connection right after the signal and then every 25 ms until the server
 * has exited, without waiting for earlier polls (a connection the drain leaves hanging must not
 * hide the later ones).
 */
async function pollReadyz(server: Server, signalAt: number, isDone: () => boolean): Promise<ReadyzPoll[]> {
  const polls: Array<Promise<ReadyzPoll>> = [];
  const since = () => Math.round(performance.now() - signalAt);
  do {
    const sentMs = since();
    polls.push(readyzOnce(server.port).then((r) => ({ sentMs, doneMs: since(), ...r })));
    await sleep(25);
  } while (!isDone());
  return Promise.all(polls);
}

/**
 * The readiness contract while draining: after the first 503/refusal, never 'ready' again; only a
 * request racing the signal's delivery (sent within 250 ms of it) may still see 'ready'.
 */
function checkReadyzWhileDraining(polls: ReadyzPoll[]) {
  const firstDown = polls.findIndex((p) => p.outcome === 'draining' || p.outcome === 'refused');
  expect(firstDown, `readyz never answered 503 draining nor refused: ${JSON.stringify(polls)}`).toBeGreaterThanOrEqual(0);
  expect(polls.filter((p) => p.outcome === 'other'), 'unexpected /readyz answers while draining').toEqual([]);
  const firstDownSent = polls[firstDown]!.sentMs;
  const lateReady = polls.filter((p) => p.outcome === 'ready' && (p.sentMs > firstDownSent || p.sentMs > 250));
  expect(lateReady, '/readyz said ready while draining').toEqual([]);
}

function readyzSummary(polls: ReadyzPoll[]): string {
  const counts: Record<string, number> = {};
  for (const p of polls) counts[p.outcome] = (counts[p.outcome] ?? 0) + 1;
  const seq: string[] = [];
  for (const p of polls) {
    const last = seq.at(-1);
    if (!last?.startsWith(`${p.outcome}@`)) seq.push(`${p.outcome}@${p.sentMs}(+${p.doneMs - p.sentMs})ms`);
  }
  return `readyz polls=${polls.length} ${JSON.stringify(counts)} sequence(sent(+duration)): ${seq.join(' ')}`;
}

interface DrainRun {
  /** when the signal was sent, in ms since the load started */
  signalAtMs: number;
  before: LoadStats;
  final: LoadStats;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  exitMs: number;
  readyz: ReadyzPoll[];
}

/** OK answers the server must have given under load before it is signalled (so the drain meets real traffic). */
const WARM_OK = 200;

/**
 * Loads the server for at least `warmMs` and until it has answered WARM_OK requests (a busy machine
 * serves fewer in the same time: the condition is the traffic, not the clock), SIGTERMs it, keeps
 * loading until it is gone, polls /readyz meanwhile.
 */
async function loadThenTerminate(server: Server, warmMs: number): Promise<DrainRun> {
  const load = loadAgainst(server);
  await sleep(warmMs);
  for (const until = performance.now() + 20_000; load.snapshot().ok < WARM_OK && performance.now() < until; ) await sleep(50);
  const before = load.snapshot();
  let gone = false;
  const signalAtMs = Math.round(load.elapsed());
  const signalAt = performance.now();
  server.child.kill('SIGTERM');
  const readyz = pollReadyz(server, signalAt, () => gone);
  const exit = await Promise.race([server.exited, sleep(GRACE_MS + 8000).then(() => null)]);
  gone = true;
  const exitMs = exit ? Math.round(exit.at - signalAt) : Infinity;
  await sleep(300); // the load goes on against the closed port for a moment
  const final = await load.stop();
  return { signalAtMs, before, final, exit: exit && { code: exit.code, signal: exit.signal }, exitMs, readyz: await readyz };
}

function checkDrain(label: string, run: DrainRun, server: Server) {
  console.log(
    `[shutdown] ${label}: okBeforeSignal=${run.before.ok} ${summarize(run.final)} exit=${JSON.stringify(run.exit)} exitMs=${run.exitMs} ${readyzSummary(run.readyz)}`,
  );
  if (run.final.failures.length) console.log(`[shutdown] ${label} failures:\n  ${run.final.failures.join('\n  ')}`);
  if (run.final.resetSamples.length) console.log(`[shutdown] ${label} resets (signal at +${run.signalAtMs}ms):\n  ${run.final.resetSamples.join('\n  ')}`);
  if (run.exit?.code !== 0) console.log(`[shutdown] ${label} server output:\n${server.output()}`);
  expect(run.before.ok, 'OK responses before the signal').toBeGreaterThanOrEqual(WARM_OK);
  expect(run.final.ok).toBeGreaterThan(run.before.ok);
  expect(failedAccepted(run.final), `failed responses among accepted requests: ${run.final.failures.join(' | ')}`).toBe(0);
  expect(run.final.other, `unclassified transport errors: ${JSON.stringify(run.final.errors)}`).toBe(0);
  expect(run.exit, 'the server did not exit').not.toBeNull();
  expect(run.exit!.code).toBe(0);
  expect(run.exitMs).toBeLessThanOrEqual(GRACE_MS + 2000);
  checkReadyzWhileDraining(run.readyz);
}

/** Every pid is gone (waits briefly for helpers that end on their parent's exit). */
async function expectAllGone(pids: number[], waitMs = 1000) {
  const until = Date.now() + waitMs;
  let left = pids.filter(alive);
  while (left.length && Date.now() < until) {
    await sleep(50);
    left = pids.filter(alive);
  }
  expect(left.map((pid) => `${pid} ${seenPids.get(pid) ?? '?'}`), 'processes left behind').toEqual([]);
}

beforeAll(async () => {
  const db = await createTestDatabase('shutdown');
  dbUrl = db.url;
  dropDb = db.drop;
  const config = loadConfig({ DATABASE_URL: dbUrl });
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const database = createDatabase(dbUrl, config.db.pool);
  try {
    const [c] = await sql<{ id: number }[]>`INSERT INTO churches (name, slug, time_zone) VALUES ('Drain Church', 'drain', 'UTC') RETURNING id`;
    churchId = c!.id;
    const rows = Array.from({ length: 120 }, (_, i) => ({
      church_id: churchId,
      first_name: `First${i}`,
      last_name: `Last${String(i).padStart(3, '0')}`,
      email: `m${i}@drain.test`,
      status: (['member', 'regular', 'visitor'] as const)[i % 3]!,
    }));
    await sql`INSERT INTO members ${sql(rows)}`;
    await ensureUser(database.db, createPasswordHasher(config.auth.argon2), {
      email: EMAIL,
      name: 'Load Tester',
      password: PASSWORD,
      roles: [{ church: 'drain', role: 'staff' }],
    });
  } finally {
    await sql.end();
    await database.close();
  }
}, 60_000);

afterAll(async () => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const [pid, args] of seenPids) {
    // only the very process we saw (a pid may have been reused since)
    if (!alive(pid) || commandLine(pid) !== args) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await sleep(200);
  await dropDb?.();
  await deleteKeys(TEST_REDIS_URL, prefix);
}, 30_000);

describe('one API process (--workers 1)', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer(1);
  }, 60_000);

  it('answers /healthz and /readyz (PostgreSQL and Redis up) while serving', async () => {
    expect(await getJson(server.port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getJson(server.port, '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
    // the load's request works as a single request too
    const r = await requestOnce(
      { host: HOST, port: server.port, path: '/graphql', headers: { cookie: server.cookie } },
      JSON.stringify({ query: LOAD_QUERY, variables: { churchId: String(churchId), first: 5 } }),
    );
    expect(r.outcome).toBe('ok');
  });

  it('SIGTERM under load: no accepted request fails, /readyz drains, exit 0 within the grace period', async () => {
    const run = await loadThenTerminate(server, 2500);
    checkDrain('single', run, server);
    expect(alive(server.pid)).toBe(false);
  }, 60_000);
});

describe('cluster (--workers 2)', () => {
  it('SIGTERM under load: no accepted request fails, exit 0 within the grace period, no process remains', async () => {
    const server = await startServer(2);
    expect(await getJson(server.port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const apis = apiProcesses(server.pid);
    expect(apis).toHaveLength(2);
    const tree = descendantsOf(server.pid);
    const run = await loadThenTerminate(server, 2500);
    checkDrain('cluster', run, server);
    // the primary waits for its API processes: they are gone by the time it exits
    expect(apis.map((p) => p.pid).filter(alive), 'API processes alive after the primary exited').toEqual([]);
    await expectAllGone([server.pid, ...tree.map((p) => p.pid)]);
  }, 60_000);

  it('a killed API process is replaced; the load loses at most its in-flight requests', async () => {
    // while the replacement loads its TypeScript (a core's worth of CPU for seconds), the survivor
    // carries the load alone: on a loaded 2-core machine its statements can wait longer than the
    // default 2 s for a connection and be shed with 503 (what DB_ACQUIRE_TIMEOUT_MS is for, tested
    // in pool.test.ts). This test is about the replacement, so the survivor waits instead.
    const server = await startServer(2, { DB_ACQUIRE_TIMEOUT_MS: '20000' });
    const load = loadAgainst(server);
    await sleep(1000);
    const apis = apiProcesses(server.pid);
    expect(apis).toHaveLength(2);
    const [victim, survivor] = [apis[0]!.pid, apis[1]!.pid];
    const beforeKill = load.snapshot();
    const killAt = performance.now();
    process.kill(victim, 'SIGKILL');

    // a new API process appears in the victim's place
    let replacement: number | undefined;
    while (performance.now() - killAt < 10_000) {
      const now = apiProcesses(server.pid).map((p) => p.pid);
      if (now.length === 2 && !now.includes(victim) && now.includes(survivor)) {
        replacement = now.find((p) => p !== survivor);
        break;
      }
      await sleep(50);
    }
    const replacedMs = Math.round(performance.now() - killAt);
    expect(replacement, `no replacement API process; output:\n${server.output()}`).toBeDefined();
    const atReplacement = load.snapshot();

    // the replacement serves: fresh connections (round robin) reach it, and they all succeed
    let servedByReplacement = 0;
    let freshOk = 0;
    let freshFailed = 0;
    // while the replacement warms up (it loads the TypeScript of each path on first use: seconds on
    // a loaded machine) a request may be answered 503 SERVICE_UNAVAILABLE with retryable: true, an
    // answer that tells the client to retry, not a lost request. Rounds go on until one is served by
    // the replacement with every request OK; anything else that fails is a failure.
    let freshRetryable = 0;
    let lastRoundClean = false;
    // the replacement loads the TypeScript first: 5 s on an idle machine, far longer on a loaded one
    const freshDeadline = performance.now() + 45_000;
    while ((servedByReplacement === 0 || !lastRoundClean) && performance.now() < freshDeadline) {
      const fresh = startLoad({
        host: HOST,
        port: server.port,
        path: '/graphql',
        concurrency: 8,
        headers: { cookie: server.cookie },
        body: (i) => JSON.stringify({ query: LOAD_QUERY, variables: { churchId: String(churchId), first: 1 + (i % 50) } }),
      });
      await sleep(300);
      servedByReplacement = connectionsHeldBy(replacement!, server.port);
      const s = await fresh.stop();
      freshOk += s.ok;
      const retryable = s.statuses['503'] ?? 0;
      freshRetryable += retryable;
      freshFailed += s.sent - s.ok - retryable;
      lastRoundClean = s.sent > 0 && s.sent === s.ok;
      if (s.sent > s.ok) console.log(`[shutdown] fresh connections failed: ${summarize(s)} ${JSON.stringify(s.errors)} ${s.failures.join(' | ')}`);
    }
    const sinceKill = performance.now() - killAt;
    if (sinceKill < 2000) await sleep(2000 - sinceKill);
    const final = await load.stop();
    const lost = final.sent - final.ok;
    console.log(
      `[shutdown] crash: okBeforeKill=${beforeKill.ok} replacedMs=${replacedMs} okAfterReplacement=${final.ok - atReplacement.ok} ` +
        `${summarize(final)} freshConnections ok=${freshOk} failed=${freshFailed} retryable503=${freshRetryable} heldByReplacement=${servedByReplacement}`,
    );
    if (final.failures.length) console.log(`[shutdown] crash failures:\n  ${final.failures.join('\n  ')}`);
    expect(beforeKill.ok).toBeGreaterThan(0);
    // every request that did not succeed (accepted-and-failed, reset, refused) was in flight on the killed process
    expect(failedAccepted(final)).toBeLessThanOrEqual(CONCURRENCY);
    expect(lost, `non-OK outcomes: ${JSON.stringify(final.errors)} ${final.failures.join(' | ')}`).toBeLessThanOrEqual(CONCURRENCY);
    expect(final.ok - atReplacement.ok, 'requests keep succeeding after the replacement').toBeGreaterThan(50);
    expect(servedByReplacement, 'the replacement process took connections').toBeGreaterThan(0);
    expect(freshFailed).toBe(0);
    expect(freshOk).toBeGreaterThan(0);
    expect(lastRoundClean, 'a round of fresh connections, the replacement among them, all answered OK').toBe(true);

    // and the cluster still stops cleanly
    const tree = descendantsOf(server.pid);
    const signalAt = performance.now();
    server.child.kill('SIGTERM');
    const exit = await Promise.race([server.exited, sleep(GRACE_MS + 8000).then(() => null)]);
    const exitMs = exit ? Math.round(exit.at - signalAt) : Infinity;
    console.log(`[shutdown] crash: stop exit=${JSON.stringify(exit && { code: exit.code, signal: exit.signal })} exitMs=${exitMs}`);
    expect(exit?.code).toBe(0);
    expect(exitMs).toBeLessThanOrEqual(GRACE_MS + 2000);
    await expectAllGone([server.pid, victim, survivor, replacement!, ...tree.map((p) => p.pid)]);
  }, 120_000);
});
