import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../src/lib/logger.js';
import { SessionTier } from '../src/modules/auth/session-tier.js';
import { SessionStore, type AuthzBus } from '../src/modules/auth/sessions.js';
import { deleteKeys } from './helpers/redis.js';
import { redisMonitor } from './helpers/redis-monitor.js';
import { TEST_REDIS_URL } from './helpers/server.js';

// The in-process session tier (src/modules/auth/session-tier.ts): two "API processes" (each its
// own connections, store and tier) over one Redis. A kept session costs no Redis call; every
// revocation, sign-out and role change reaches the other process's tier through the authz channel
// at once; a read crossing a drop is not kept; a tier whose subscription is gone is not used.

const prefix = `test:tier:${process.pid}:`;
const channel = `${prefix}authz-changed`;
const log = { warn() {}, info() {}, error() {}, debug() {} } as unknown as Logger;
const sessionKey = (id: string) => `sess:${createHash('sha256').update(id).digest('hex')}`;

interface Proc {
  redis: Redis;
  publisher: Redis;
  tier: SessionTier;
  store: SessionStore;
}
const procs: Proc[] = [];

function proc(recheckMs = 60_000): Proc {
  const redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
  const publisher = new Redis(TEST_REDIS_URL);
  const bus: AuthzBus = {
    publish: async (userId) => void (await publisher.publish(channel, JSON.stringify({ userId }))),
    subscribe: async () => () => {},
  };
  const tier = new SessionTier({ url: TEST_REDIS_URL, channel, recheckMs, timeoutMs: 500, log });
  const p = { redis, publisher, tier, store: new SessionStore(redis, 3600, bus, tier) };
  procs.push(p);
  return p;
}

async function until(cond: () => boolean, ms = 2000): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - t0;
}

let a: Proc;
let b: Proc;
let nextUser = 500;
const newSession = (p: Proc, roles: Array<[number, 'staff' | 'admin']> = [[1, 'staff']]) => {
  const userId = nextUser++;
  return p.store.create({ userId, email: `u${userId}@example.org`, name: 'U', platformAdmin: false, roles, version: 0 }).then((sid) => ({ sid, userId }));
};

beforeAll(async () => {
  await deleteKeys(TEST_REDIS_URL, prefix);
  a = proc();
  b = proc();
  await until(() => a.tier.live && b.tier.live);
});
afterAll(async () => {
  for (const p of procs) {
    p.tier.close();
    p.redis.disconnect();
    p.publisher.disconnect();
  }
  await deleteKeys(TEST_REDIS_URL, prefix);
});

describe('the session tier', () => {
  it('answers a session Redis vouched for without asking Redis again', async () => {
    const { sid, userId } = await newSession(a);
    const reads: string[][] = [];
    const monitor = await redisMonitor(TEST_REDIS_URL, (args) => {
      if (args.some((x) => x.includes(sessionKey(sid)))) reads.push(args);
    });
    try {
      expect((await b.store.touch(sid))?.userId).toBe(userId);
      await new Promise((r) => setTimeout(r, 100)); // MONITOR's lines may trail
      // the script (EVALSHA; EVAL too where Redis did not have it yet) and the commands it ran
      const first = reads.length;
      expect(reads.some((r) => /^eval(sha)?$/i.test(r[0]!))).toBe(true);
      for (let i = 0; i < 20; i++) expect((await b.store.touch(sid))?.userId).toBe(userId);
      await new Promise((r) => setTimeout(r, 100));
      expect(reads.length).toBe(first);
    } finally {
      monitor.close();
    }
  });

  it('a revocation on one process refuses the session on the other as the announcement arrives', async () => {
    const { sid, userId } = await newSession(a);
    expect((await b.store.touch(sid))?.userId).toBe(userId);
    expect(b.tier.size).toBeGreaterThan(0);
    const hits = b.tier.hits;
    expect((await b.store.touch(sid))?.userId).toBe(userId);
    expect(b.tier.hits).toBe(hits + 1);
    await a.store.revokeUser(userId);
    // dropped on b when its subscriber hears it: milliseconds on a healthy link
    const ms = await until(() => b.tier.get(sid, Date.now()) === null, 1000);
    expect(ms).toBeLessThan(500);
    expect(await b.store.touch(sid)).toBeNull();
    expect(await a.store.touch(sid)).toBeNull();
  });

  it('a sign-out on one process ends the session on the other', async () => {
    const { sid, userId } = await newSession(a);
    expect((await b.store.touch(sid))?.userId).toBe(userId);
    expect((await a.store.touch(sid))?.userId).toBe(userId);
    await a.store.destroy(sid, userId);
    // a's own tier drops it before the call returns
    expect(await a.store.touch(sid)).toBeNull();
    await until(() => b.tier.get(sid, Date.now()) === null, 1000);
    expect(await b.store.touch(sid)).toBeNull();
  });

  it('a role change announced by one process is read again from Redis by the other', async () => {
    const { sid, userId } = await newSession(a, [[1, 'staff']]);
    expect((await b.store.touch(sid))?.roles).toEqual([[1, 'staff']]);
    // what a role change does: the session's text changes (here by hand) and the user is announced
    const raw = JSON.parse((await a.redis.get(sessionKey(sid)))!) as { roles: unknown };
    raw.roles = [[1, 'admin']];
    await a.redis.set(sessionKey(sid), JSON.stringify(raw), 'EX', 3600);
    await a.store.changed(userId);
    await until(() => b.tier.get(sid, Date.now()) === null, 1000);
    expect((await b.store.touch(sid))?.roles).toEqual([[1, 'admin']]);
  });

  it('an answer that crosses a drop is not kept', async () => {
    const { sid, userId } = await newSession(a);
    const pending = b.store.touch(sid);
    b.tier.dropUser(userId); // the announcement arrives while Redis's answer is on its way
    expect((await pending)?.userId).toBe(userId);
    expect(b.tier.get(sid, Date.now())).toBeNull();
    // the next read asks Redis and is kept
    await b.store.touch(sid);
    expect(b.tier.get(sid, Date.now())?.userId).toBe(userId);
  });

  it('rechecks Redis (and slides the lifetime) once recheckMs has passed', async () => {
    const c = proc(150);
    await until(() => c.tier.live);
    const { sid, userId } = await newSession(c);
    await c.redis.expire(sessionKey(sid), 100);
    expect((await c.store.touch(sid))?.userId).toBe(userId);
    expect(await c.redis.ttl(sessionKey(sid))).toBeGreaterThan(3000);
    await c.redis.expire(sessionKey(sid), 100);
    expect((await c.store.touch(sid))?.userId).toBe(userId); // from memory: no slide
    expect(await c.redis.ttl(sessionKey(sid))).toBeLessThanOrEqual(100);
    await new Promise((r) => setTimeout(r, 200));
    expect((await c.store.touch(sid))?.userId).toBe(userId); // asked again: slid
    expect(await c.redis.ttl(sessionKey(sid))).toBeGreaterThan(3000);
    // a session gone from Redis by any way at all is refused after one recheck period at most
    await c.redis.del(sessionKey(sid));
    await new Promise((r) => setTimeout(r, 200));
    expect(await c.store.touch(sid)).toBeNull();
  });

  it('is not used while its subscription is gone, and is again once it is back', async () => {
    const { sid, userId } = await newSession(a);
    expect((await b.store.touch(sid))?.userId).toBe(userId);
    // its subscriber connection, dropped by Redis (as a restart or a network cut would)
    const sub = (b.tier as unknown as { sub: { sub: Redis & { stream: { localPort: number } } } }).sub.sub;
    const killer = new Redis(TEST_REDIS_URL);
    try {
      await killer.call('CLIENT', 'KILL', 'ADDR', `127.0.0.1:${sub.stream.localPort}`);
    } finally {
      killer.disconnect();
    }
    await until(() => !b.tier.live, 1000);
    expect(b.tier.size).toBe(0);
    // an announcement sent while it is away cannot be missed: nothing is kept meanwhile
    await b.store.touch(sid);
    expect(b.tier.size).toBe(0);
    await until(() => b.tier.live, 5000);
    await b.store.touch(sid);
    expect(b.tier.get(sid, Date.now())?.userId).toBe(userId);
  });

  it("a socket's recheck (not slid) always asks Redis", async () => {
    const { sid, userId } = await newSession(a);
    expect((await b.store.touch(sid))?.userId).toBe(userId);
    await b.redis.del(sessionKey(sid));
    // a kept session would say yes; peek asks Redis, which says no
    expect(await b.store.peek(sid)).toBeNull();
  });
});
