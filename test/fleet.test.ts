import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailures, requestLoop, type Sample } from './helpers/fleet-load.js';
import {
  cookieOf,
  fleet,
  fleetCli,
  fleetPorts,
  fleetProcesses,
  fleetStatus,
  groupAlive,
  metric,
  missingFleetBinaries,
  partPid,
  post,
  psql,
  redisCall,
  redisInfo,
  redisKeys,
  waitForExit,
  waitForServer,
  type FleetPorts,
} from './helpers/fleet.js';
import { openSubscription } from './helpers/ws-live.js';

// Issue 13, item 1: the fleet of deploy/ (HAProxy, two API nodes of two processes each, PgBouncer,
// a PostgreSQL primary and its streaming replica, a queue Redis and a cache Redis, two SMS
// workers), started by the same code as `npm run fleet -- up`, on free loopback ports, in a state
// directory of this test's own, and driven through the load balancer: rolling restarts, a killed
// node, a restarted PgBouncer, a stopped replica, a cache Redis filled past its limit.
const missing = missingFleetBinaries();
if (missing.length && process.env.CI) throw new Error(`the fleet needs ${missing.join(', ')} (.ci/run installs them)`);

const OWNER = 'owner@grace.example';
const PASSWORD = 'steeple-demo-2026';
const CONCURRENCY = 3;
const PAUSE_MS = 80;
const CACHE_MAXMEMORY = 8 * 1024 * 1024;
// how long after the killed node's processes are gone a request may still have been sent towards it
const IN_FLIGHT_GRACE_MS = 50;
const tag = `t${process.pid}`;

const LOGIN = (email: string, password = PASSWORD) => ({ query: `mutation { login(email: "${email}", password: "${password}") { id } }` });
const ME = { query: '{ me { user { id email } } }' };
// on the primary, through PgBouncer: not a routed read, never cached
const CHURCHES = { query: '{ me { user { id } } churches(first: 5) { nodes { id name } } }' };
// the directory's first page: cached (response cache), read on the replica on a miss
const DIRECTORY = { query: '{ members(churchId: 1, first: 10) { totalCount nodes { id fullName } } }' };
// a search: a routed read (replica), a new key each time, so never a cache hit
const search = (i: number) => ({ query: `query Search($s: String) { members(churchId: 1, first: 5, filter: { search: $s }) { nodes { id } } }`, variables: { s: `zz${i}` } });
const create = (name: string) => ({ query: `mutation { createMember(input: { churchId: 1, firstName: "Fleet", lastName: "${name}", status: VISITOR }) { id } }` });

/** Reads of every kind, and now and then a write (each write's name is unique, so rows can be counted). */
function mixed(prefix: string) {
  return (i: number) => {
    switch (i % 4) {
      case 0:
        return { kind: 'primary read', body: CHURCHES };
      case 1:
        return { kind: 'cached read', body: DIRECTORY };
      case 2:
        return { kind: 'replica read', body: search(i) };
      default:
        return { kind: 'write', body: create(`${prefix}${i}`) };
    }
  };
}

const failed = (samples: Sample[]) => samples.filter((s) => s.outcome !== 'ok');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing.length > 0)('the fleet (deploy/, npm run fleet)', () => {
  let dir: string;
  let ports: FleetPorts;
  let cookie: string;
  let upOutput = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'steeple-fleet-'));
    const t0 = Date.now();
    const r = await fleetCli(dir, ['up', '--base-port', '0', '--cache-maxmemory', '8mb'], 170_000);
    upOutput = r.output;
    console.log(`fleet up (${((Date.now() - t0) / 1000).toFixed(1)} s):\n${r.output}`);
    if (r.code !== 0) throw new Error(`fleet up failed:\n${r.output}`);
    ports = fleetPorts(dir);
    cookie = cookieOf(await post(ports.lb, LOGIN(OWNER)));
  }, 180_000);

  afterAll(async () => {
    if (!dir) return;
    const r = await fleetCli(dir, ['down'], 90_000);
    console.log(`fleet down:\n${r.output}`);
    const left = fleetProcesses(dir);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(0);
    expect(left, `processes left after down: ${JSON.stringify(left)}`).toEqual([]);
  }, 100_000);

  it('up prints the load balancer URL; every part answers; HAProxy takes turns between the nodes', async () => {
    expect(upOutput).toContain(`Load balancer: http://127.0.0.1:${ports.lb}/graphql`);
    const parts = await fleetStatus(dir);
    expect(parts.map((p) => p.name)).toEqual(['postgres-primary', 'postgres-replica', 'redis-queue', 'redis-cache', 'pgbouncer', 'api-1', 'api-2', 'worker-1', 'worker-2', 'haproxy']);
    for (const p of parts) expect(p.answers, `${p.name}: ${p.detail}`).toBe(true);
    expect(parts.find((p) => p.name === 'postgres-replica')!.detail).toContain('streaming');
    expect(psql(ports.pgReplica, 'SELECT pg_is_in_recovery()')).toBe('t');
    // each node is a cluster: its primary and two API processes; each worker one process (node
    // processes only: tsx's esbuild service, a child of each, inherits the environment too)
    const nodes = (role: string) => fleetProcesses(dir).filter((p) => p.env.includes(`${role}.env`) && p.args.includes('scripts/start.mjs'));
    for (const role of ['api-1', 'api-2']) expect(nodes(role).length, role).toBe(3);
    for (const role of ['worker-1', 'worker-2']) expect(nodes(role).length, role).toBe(1);
    const servedBy: string[] = [];
    for (let i = 0; i < 6; i++) servedBy.push(String((await post(ports.lb, ME, { headers: { cookie } })).headers['x-served-by']));
    // round robin, no stickiness: the same session alternates between the nodes
    expect(new Set(servedBy)).toEqual(new Set(['api1', 'api2']));
    for (let i = 1; i < servedBy.length; i++) expect(servedBy[i]).not.toBe(servedBy[i - 1]);
  });

  it('a session made on one node is good on the other; a logout on one holds on the other', async () => {
    const session = cookieOf(await post(ports.api1, LOGIN(OWNER)));
    const on = async (port: number) => (await post(port, ME, { headers: { cookie: session } })).body;
    expect((await on(ports.api2)).data.me.user.email).toBe(OWNER);
    expect((await on(ports.api1)).data.me.user.email).toBe(OWNER);
    expect((await on(ports.lb)).data.me.user.email).toBe(OWNER);
    const out = await post(ports.api2, { query: 'mutation { logout }' }, { headers: { cookie: session } });
    expect(out.body.data.logout).toBe(true);
    for (const port of [ports.api1, ports.api2, ports.lb]) {
      const r = await post(port, CHURCHES, { headers: { cookie: session } });
      expect(r.body.errors?.[0]?.extensions?.code, JSON.stringify(r.body)).toBe('UNAUTHENTICATED');
    }
  });

  it('HAProxy sends the client address (and drops one the client claims); the API limits sign-ins by it', async () => {
    const email = `nobody-${tag}@fleet.example`;
    const attempt = (localAddress: string, spoof: string) => post(ports.lb, LOGIN(email, 'wrong password 123'), { localAddress, headers: { 'x-forwarded-for': spoof } });
    // LOGIN_MAX_FAILURES (10) per email and address: each attempt claims another address, in vain
    for (let i = 0; i < 10; i++) expect((await attempt('127.0.0.1', `203.0.113.${i}`)).body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await attempt('127.0.0.1', '203.0.113.99')).body.errors[0].extensions.code).toBe('RATE_LIMITED');
    // another client address (HAProxy forwards it, the API trusts HAProxy on loopback) has its own count
    expect((await attempt('127.0.0.2', '203.0.113.99')).body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('subscriptions go through the load balancer (WebSocket upgrade); an SMS worker sends the text', async () => {
    const members = (await post(ports.lb, { query: '{ members(churchId: 1, first: 20) { nodes { id phone smsOptedOut } } }' }, { headers: { cookie } })).body.data.members.nodes as Array<{ id: string; phone: string | null; smsOptedOut: boolean }>;
    const to = members.find((m) => m.phone && !m.smsOptedOut)!;
    const sent = await post(ports.lb, { query: `mutation($m: [ID!]) { sendMessage(churchId: 1, body: "Fleet test ${tag}", audience: { memberIds: $m }, urgent: true) { id } }`, variables: { m: [to.id] } }, { headers: { cookie } });
    expect(sent.body.errors, JSON.stringify(sent.body)).toBeUndefined();
    const sub = openSubscription(`http://127.0.0.1:${ports.lb}`, 'subscription($id: ID!) { messageProgress(messageId: $id) { status done counts { sent delivered } } }', { id: sent.body.data.sendMessage.id }, { headers: { cookie } });
    try {
      const deadline = Date.now() + 20_000;
      while (!sub.events.some((e) => e.messageProgress.done) && !sub.errors.length && Date.now() < deadline) await sleep(50);
      expect(sub.errors).toEqual([]);
      const last = sub.events.at(-1)!.messageProgress;
      expect(last).toMatchObject({ done: true, counts: { delivered: 1 } });
    } finally {
      await sub.dispose();
    }
  });

  it('a rolling restart of every API node under a steady request loop: 0 failed requests, no write lost or doubled', async () => {
    const prefix = `Roll${tag}x`;
    const t0 = Date.now();
    const loop = requestLoop({ port: ports.lb, concurrency: CONCURRENCY, pauseMs: PAUSE_MS, headers: { cookie }, request: mixed(prefix) });
    const timings: string[] = [];
    try {
      await sleep(1000);
      for (const n of [1, 2]) {
        const pid = partPid(dir, `api-${n}`)!;
        const t = Date.now();
        process.kill(pid, 'SIGTERM');
        await waitForExit(pid, 20_000);
        const drained = Date.now() - t;
        await fleet(dir, ['start', `api-${n}`], 150_000);
        const up = await waitForServer(dir, `api${n}`, 'UP', 10_000);
        timings.push(`api-${n}: drained and exited in ${drained} ms, back in rotation after ${((Date.now() - t) / 1000).toFixed(1)} s (HAProxy: +${up} ms after ready)`);
        // it takes requests again before the next one goes
        const since = Date.now();
        while (!loop.samples.some((s) => s.start > since && s.servedBy === `api${n}`)) await sleep(50);
      }
      await sleep(500);
    } finally {
      await loop.stop();
    }
    const samples = loop.samples;
    const writes = samples.filter((s) => s.kind === 'write' && s.outcome === 'ok').length;
    const rows = Number(psql(ports.pgPrimary, `SELECT count(*) FROM members WHERE last_name LIKE '${prefix}%'`));
    const distinct = Number(psql(ports.pgPrimary, `SELECT count(DISTINCT last_name) FROM members WHERE last_name LIKE '${prefix}%'`));
    console.log(`rolling restart: ${samples.length} requests (${writes} writes), ${failed(samples).length} failed; ${timings.join('; ')}`, describeFailures(samples, t0));
    expect(failed(samples), describeFailures(samples, t0).join('\n')).toEqual([]);
    expect(samples.length).toBeGreaterThan(100);
    expect(rows).toBe(writes);
    expect(distinct).toBe(rows);
  }, 150_000);

  it('PgBouncer restarted: requests fail fast with SERVICE_UNAVAILABLE and recover by themselves', async () => {
    const t0 = Date.now();
    const loop = requestLoop({ port: ports.lb, concurrency: CONCURRENCY, pauseMs: 20, headers: { cookie }, request: () => ({ kind: 'primary read', body: CHURCHES }) });
    let restarted = 0;
    try {
      await sleep(500);
      await fleet(dir, ['restart', 'pgbouncer'], 30_000);
      restarted = Date.now();
      // recovery by itself: answers succeed again, with nothing done to the API
      const deadline = Date.now() + 15_000;
      while (!loop.samples.some((s) => s.start >= restarted && s.outcome === 'ok') && Date.now() < deadline) await sleep(20);
      await sleep(1500);
    } finally {
      await loop.stop();
    }
    const samples = loop.samples;
    const bad = failed(samples);
    const firstOk = samples.filter((s) => s.start >= restarted && s.outcome === 'ok').sort((a, b) => a.end - b.end)[0];
    const window = bad.length ? Math.max(...bad.map((s) => s.end)) - Math.min(...bad.map((s) => s.start)) : 0;
    console.log(
      `pgbouncer restart: ${samples.length} requests, ${bad.length} failed over ${window} ms (slowest failure ${Math.max(0, ...bad.map((s) => s.end - s.start))} ms), ` +
        `first success ${firstOk ? firstOk.end - restarted : 'never'} ms after PgBouncer answered again; codes ${JSON.stringify(Object.fromEntries([...new Set(bad.map((s) => `${s.status}:${s.code}`))].map((k) => [k, bad.filter((s) => `${s.status}:${s.code}` === k).length])))}`,
      describeFailures(samples, t0),
    );
    // every failure is an answer (no hang, no dropped connection), fast, and says "retry"
    for (const s of bad) {
      expect(s.outcome, describeFailures([s], t0)[0]).toBe('error');
      expect(s.code, describeFailures([s], t0)[0]).toBe('SERVICE_UNAVAILABLE');
      expect(s.status).toBe(503);
      expect(s.end - s.start).toBeLessThan(3000);
    }
    expect(firstOk, 'requests never succeeded again').toBeDefined();
    expect(firstOk!.end - restarted).toBeLessThan(5000);
    // after the recovery, everything succeeds
    const tail = samples.filter((s) => s.start > firstOk!.end + 500);
    expect(tail.length).toBeGreaterThan(10);
    expect(failed(tail)).toEqual([]);
  }, 60_000);

  it('the replica stopped: reads still succeed, on the primary; started again, it streams and serves', async () => {
    const routed = async (target: string) => (await metric(ports.api1Metrics, 'steeple_db_routed_reads_total', { target })) + (await metric(ports.api2Metrics, 'steeple_db_routed_reads_total', { target }));
    const read = async (i: number) => {
      const r = await post(ports.lb, search(1_000_000 + i), { headers: { cookie } });
      expect(r.body.errors, JSON.stringify(r.body)).toBeUndefined();
    };
    const replicaBefore = await routed('replica');
    for (let i = 0; i < 4; i++) await read(i);
    expect(await routed('replica')).toBeGreaterThan(replicaBefore);

    await fleet(dir, ['stop', 'postgres-replica'], 60_000);
    const primaryBefore = await routed('primary');
    for (let i = 10; i < 30; i++) await read(i);
    expect(await routed('primary')).toBeGreaterThanOrEqual(primaryBefore + 18);

    await fleet(dir, ['start', 'postgres-replica'], 60_000);
    const again = await routed('replica');
    const deadline = Date.now() + 10_000;
    for (let i = 100; (await routed('replica')) === again; i++) {
      if (Date.now() > deadline) throw new Error('reads did not go back to the replica');
      await read(i);
      await sleep(100);
    }
    expect((await fleetStatus(dir)).find((p) => p.name === 'postgres-replica')!.detail).toContain('streaming');
  }, 90_000);

  it('the cache Redis filled past its maxmemory evicts cache entries, never a queue or session key (another server, noeviction)', async () => {
    const { redisQueue: queue, redisCache: cache } = ports;
    // cached answers exist: the directory page of each church
    for (const c of [1, 2]) await post(ports.lb, { query: `{ members(churchId: ${c}, first: 20) { nodes { id } } }` }, { headers: { cookie } });
    const cachedBefore = await redisKeys(cache, 'steeple:rc:*');
    expect(cachedBefore.length).toBeGreaterThan(0);
    // the queue and sessions live on the other server, which never evicts and keeps an append-only file
    expect(await redisCall(queue, ['CONFIG', 'GET', 'maxmemory-policy'])).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await redisCall(queue, ['CONFIG', 'GET', 'appendonly'])).toEqual(['appendonly', 'yes']);
    expect(await redisCall(cache, ['CONFIG', 'GET', 'maxmemory-policy'])).toEqual(['maxmemory-policy', 'allkeys-lru']);
    expect(await redisCall(cache, ['CONFIG', 'GET', 'maxmemory'])).toEqual(['maxmemory', String(CACHE_MAXMEMORY)]);
    const sessions = await redisKeys(queue, 'steeple:sess:*');
    const bull = await redisKeys(queue, '*bull*');
    expect(sessions.length).toBeGreaterThan(0);
    expect(bull.length).toBeGreaterThan(0);
    expect(await redisKeys(cache, 'steeple:sess:*')).toEqual([]);
    expect(await redisKeys(cache, '*bull*')).toEqual([]);
    const queueEvictedBefore = Number(await redisInfo(queue, 'evicted_keys'));

    // three times the cache's limit, in 64 KiB values
    const value = 'x'.repeat(64 * 1024);
    for (let i = 0; i < (3 * CACHE_MAXMEMORY) / value.length; i++) await redisCall(cache, ['SET', `fill:${tag}:${i}`, value, 'PX', 600_000]);

    const evicted = Number(await redisInfo(cache, 'evicted_keys'));
    const used = Number(await redisInfo(cache, 'used_memory'));
    const survivors = (await Promise.all(cachedBefore.map((k) => redisCall(cache, ['EXISTS', k])))).filter((n) => n === 1).length;
    console.log(`cache Redis filled to 3× maxmemory: ${evicted} keys evicted, used_memory ${(used / 2 ** 20).toFixed(1)} MiB of ${CACHE_MAXMEMORY / 2 ** 20} MiB; ${cachedBefore.length - survivors} of ${cachedBefore.length} earlier cache keys evicted; queue Redis evicted ${Number(await redisInfo(queue, 'evicted_keys')) - queueEvictedBefore}`);
    expect(evicted).toBeGreaterThan(0);
    expect(used).toBeLessThan(CACHE_MAXMEMORY * 1.25);
    expect(survivors).toBeLessThan(cachedBefore.length);
    // nothing left the queue Redis: every session and queue key is still there
    expect(Number(await redisInfo(queue, 'evicted_keys'))).toBe(queueEvictedBefore);
    for (const k of [...sessions, ...bull]) expect(await redisCall(queue, ['EXISTS', k]), k).toBe(1);
    // the session still works, and the API still answers (a miss where an entry was evicted)
    expect((await post(ports.lb, ME, { headers: { cookie } })).body.data.me.user.email).toBe(OWNER);
    const page = await post(ports.lb, DIRECTORY, { headers: { cookie } });
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data.members.totalCount).toBeGreaterThan(0);
  }, 60_000);

  // last: the node stays down (afterAll's `down` finds it gone)
  it('an API node SIGKILLed under the request loop: only requests in flight on it fail', async () => {
    const prefix = `Kill${tag}x`;
    const t0 = Date.now();
    const loop = requestLoop({ port: ports.lb, concurrency: CONCURRENCY, pauseMs: PAUSE_MS, headers: { cookie }, request: mixed(prefix) });
    let killedAt: number;
    let goneAt: number;
    let downAfter: number;
    try {
      await sleep(1500);
      const pid = partPid(dir, 'api-1')!;
      killedAt = Date.now();
      // the whole node: its primary and both API processes (one process group)
      process.kill(-pid, 'SIGKILL');
      // gone: every process of the node has exited (its sockets are closed by then)
      while (groupAlive(pid)) await sleep(2);
      goneAt = Date.now();
      downAfter = await waitForServer(dir, 'api1', 'DOWN', 10_000);
      await sleep(1500);
    } finally {
      await loop.stop();
    }
    const samples = loop.samples;
    const bad = failed(samples);
    const writesOk = samples.filter((s) => s.kind === 'write' && s.outcome === 'ok').length;
    const writesFailed = bad.filter((s) => s.kind === 'write').length;
    const rows = Number(psql(ports.pgPrimary, `SELECT count(*) FROM members WHERE last_name LIKE '${prefix}%'`));
    console.log(
      `SIGKILL of api-1: ${samples.length} requests, ${bad.length} failed (${writesFailed} writes), its processes gone ${goneAt - killedAt} ms after the kill, ` +
        `HAProxy saw it DOWN ${downAfter} ms later; ${rows} rows for ${writesOk} successful writes`,
      describeFailures(samples, t0),
    );
    // at most one request per loop can be in flight on the node when it dies
    expect(bad.length).toBeLessThanOrEqual(CONCURRENCY);
    for (const s of bad) {
      const what = describeFailures([s], t0)[0];
      // in flight on the dying node: sent before HAProxy could know its processes were gone (this
      // test sees them gone by polling every 2 ms; HAProxy only as it reads the closed sockets, so a
      // request sent a moment after goneAt can still have been on its way to the dead node), and
      // failed after the kill
      expect(s.start, what).toBeLessThanOrEqual(goneAt + IN_FLIGHT_GRACE_MS);
      expect(s.end, what).toBeGreaterThanOrEqual(killedAt);
      // HAProxy's 502, or, for a request on a kept-alive client connection, that connection closed
      // without an answer (reads in flight are replayed on the other node: these are writes)
      expect(s.status === 502 || (s.outcome === 'transport' && ['ECONNRESET', 'EPIPE'].includes(s.code ?? '')), what).toBe(true);
    }
    // a failed write may have been committed before the node died; none ran twice
    expect(rows).toBeGreaterThanOrEqual(writesOk);
    expect(rows).toBeLessThanOrEqual(writesOk + writesFailed);
    // from then on, everything is served by the other node
    const after = samples.filter((s) => s.start > goneAt + IN_FLIGHT_GRACE_MS);
    expect(after.length).toBeGreaterThan(20);
    expect(failed(after)).toEqual([]);
    expect(new Set(after.map((s) => s.servedBy))).toEqual(new Set(['api2']));
  }, 60_000);
});
