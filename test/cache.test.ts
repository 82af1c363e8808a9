import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startRedisServer } from './helpers/redis.js';
import { freePort, startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

let s: TestServer;
let x: SeededChurch;
let y: SeededChurch;
let raw: Redis;

const PAGE = `query Directory($c: ID!, $first: Int, $after: String, $search: String) {
  members(churchId: $c, first: $first, after: $after, filter: { search: $search }) {
    totalCount pageInfo { endCursor } nodes { id firstName lastName smsOptedOut household { id name } groups { id name } church { id name } } } }`;

/** Runs a query and reports whether it touched PostgreSQL (a cache hit runs no SQL at all). */
async function read(vars: Record<string, unknown>, headers?: Record<string, string>) {
  s.database.statements.reset();
  const r = await s.gql(PAGE, vars, headers);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return { data: r.data.members, sql: s.database.statements.count };
}

const page = (c: SeededChurch, extra: Record<string, unknown> = {}) => ({ c: String(c.churchId), first: 10, ...extra });

async function responseKeys(): Promise<string[]> {
  const out: string[] = [];
  for await (const b of raw.scanStream({ match: `${s.config.redis.keyPrefix}rc:resp:*`, count: 1000 })) out.push(...(b as string[]));
  return out;
}

beforeAll(async () => {
  s = await startTestServer('cache');
  x = await seedChurch(s, { members: 30 });
  y = await seedChurch(s, { members: 12 });
  raw = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  raw?.disconnect();
  await s?.close();
});

describe('response cache', () => {
  it('serves the second identical query from Redis without running any SQL', async () => {
    const first = await read(page(x));
    expect(first.sql).toBeGreaterThan(0);
    const second = await read(page(x));
    expect(second.sql).toBe(0);
    expect(second.data).toEqual(first.data);
  });

  it('caches the first page for 30 minutes and never a later page', async () => {
    await read(page(x, { first: 7 }));
    const keys = await responseKeys();
    expect(keys.length).toBeGreaterThan(0);
    const ttls = await Promise.all(keys.map((k) => raw.pttl(k)));
    expect(Math.max(...ttls)).toBeGreaterThan(29 * 60_000);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(30 * 60_000);

    const p1 = await read(page(x, { first: 5 }));
    const after = p1.data.pageInfo.endCursor;
    const p2a = await read(page(x, { first: 5, after }));
    const p2b = await read(page(x, { first: 5, after }));
    expect(p2a.sql).toBeGreaterThan(0);
    expect(p2b.sql).toBeGreaterThan(0);
  });

  it('keeps churches and roles apart: another role misses, another church never sees the entry', async () => {
    const staff = await s.userWith('cache-staff@x.test', [[x.churchId, 'staff']]);
    const staff2 = await s.userWith('cache-staff2@x.test', [[x.churchId, 'staff']]);
    const viewer = await s.userWith('cache-viewer@x.test', [[x.churchId, 'viewer']]);
    const outsider = await s.userWith('cache-outsider@y.test', [[y.churchId, 'owner']]);
    const vars = page(x, { first: 3 });
    expect((await read(vars, staff.headers)).sql).toBeGreaterThan(0);
    expect((await read(vars, staff2.headers)).sql).toBe(0); // same churches and roles: shared
    expect((await read(vars, viewer.headers)).sql).toBeGreaterThan(0); // another role: its own entry
    const keysBefore = (await responseKeys()).length;
    const r = await s.gql(PAGE, vars, outsider.headers);
    expect(r.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(JSON.stringify(r)).not.toContain('Household');
    // an answer with an error is not cached
    expect((await s.gql(PAGE, vars, outsider.headers)).errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect((await responseKeys()).length).toBe(keysBefore);
  });

  it('never caches viewer-private answers', async () => {
    const me = '{ me { user { email } } }';
    await s.gql(me);
    const before = (await responseKeys()).length;
    await s.gql(me);
    expect((await responseKeys()).length).toBe(before);
  });
});

describe('invalidation: the next read after each mutation is fresh, other churches keep theirs', () => {
  /** Caches X's and Y's first pages, runs the change, and returns X's next read (which must miss). */
  async function afterChange(change: () => Promise<unknown>) {
    await read(page(x));
    await read(page(y));
    expect((await read(page(x))).sql).toBe(0);
    await change();
    const fresh = await read(page(x));
    expect(fresh.sql, 'X was not invalidated').toBeGreaterThan(0);
    expect((await read(page(y))).sql, "Y's entry was dropped too").toBe(0);
    return fresh.data;
  }
  const ok = async (p: Promise<{ errors?: unknown }>) => {
    const r = await p;
    expect(r.errors).toBeUndefined();
    return r as { data: any };
  };

  it('createMember', async () => {
    const data = await afterChange(() =>
      ok(s.gql('mutation($c: ID!) { createMember(input: { churchId: $c, firstName: "Aaron", lastName: "Aardvark" }) { id } }', { c: String(x.churchId) })),
    );
    expect(data.totalCount).toBe(31);
    expect(data.nodes[0].lastName).toBe('Aardvark');
  });

  it('updateMember', async () => {
    const id = String(x.memberIds[0]);
    const data = await afterChange(() => ok(s.gql('mutation($id: ID!) { updateMember(id: $id, input: { lastName: "Abbott" }) { id } }', { id })));
    expect(data.nodes.some((n: { id: string; lastName: string }) => n.id === id && n.lastName === 'Abbott')).toBe(true);
  });

  it('archiveMember and restoreMember', async () => {
    const id = String(x.memberIds[1]);
    const archived = await afterChange(() => ok(s.gql('mutation($id: ID!) { archiveMember(id: $id) { id } }', { id })));
    expect(archived.totalCount).toBe(30);
    const restored = await afterChange(() => ok(s.gql('mutation($id: ID!) { restoreMember(id: $id) { id } }', { id })));
    expect(restored.totalCount).toBe(31);
  });

  it('importMembers', async () => {
    const data = await afterChange(() =>
      ok(s.gql('mutation($c: ID!) { importMembers(churchId: $c, rows: [{ firstName: "Abe", lastName: "Aaronson" }]) { imported } }', { c: String(x.churchId) })),
    );
    expect(data.totalCount).toBe(32);
  });

  it('updateHousehold (a name shown on the page)', async () => {
    const first = await read(page(x));
    const hh = first.data.nodes.find((n: { household: unknown }) => n.household).household.id;
    const data = await afterChange(() => ok(s.gql('mutation($id: ID!) { updateHousehold(id: $id, input: { name: "Renamed Home" }) { id } }', { id: hh })));
    expect(data.nodes.some((n: { household: { name: string } | null }) => n.household?.name === 'Renamed Home')).toBe(true);
  });

  it('updateGroup, addGroupMember, removeGroupMember', async () => {
    const g = String(x.groupIds[0]);
    const renamed = await afterChange(() => ok(s.gql('mutation($id: ID!) { updateGroup(id: $id, input: { name: "Renamed Group" }) { id } }', { id: g })));
    expect(JSON.stringify(renamed)).toContain('Renamed Group');
    const m = String(x.memberIds[2]);
    const g3 = String(x.groupIds[2]);
    await s.gql('mutation($g: ID!, $m: ID!) { removeGroupMember(groupId: $g, memberId: $m) { role } }', { g: g3, m });
    const added = await afterChange(() => ok(s.gql('mutation($g: ID!, $m: ID!) { addGroupMember(input: { groupId: $g, memberId: $m }) { role } }', { g: g3, m })));
    expect(added.nodes.find((n: { id: string }) => n.id === m).groups.map((gr: { id: string }) => gr.id)).toContain(g3);
    const removed = await afterChange(() => ok(s.gql('mutation($g: ID!, $m: ID!) { removeGroupMember(groupId: $g, memberId: $m) { role } }', { g: g3, m })));
    expect(removed.nodes.find((n: { id: string }) => n.id === m).groups.map((gr: { id: string }) => gr.id)).not.toContain(g3);
  });

  it('updateChurch', async () => {
    const data = await afterChange(() => ok(s.gql('mutation($id: ID!) { updateChurch(id: $id, input: { name: "Renamed Church" }) { id } }', { id: String(x.churchId) })));
    expect(data.nodes[0].church.name).toBe('Renamed Church');
  });

  it('a STOP text (inbound webhook) shows at once', async () => {
    const p = await startTestServer('cache-sms', {
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'a'.repeat(32),
    });
    try {
      const c = await seedChurch(p, { members: 3 });
      await p.database.sql`UPDATE churches SET sms_from_number = '+13125550111' WHERE id = ${c.churchId}`;
      const [m] = await p.database.sql<[{ phone: string; id: number }]>`SELECT id, phone FROM members WHERE church_id = ${c.churchId} ORDER BY id LIMIT 1`;
      const q = `query($c: ID!) { members(churchId: $c, first: 10) { nodes { id smsOptedOut } } }`;
      await p.gql(q, { c: String(c.churchId) });
      const params = { From: m.phone, To: '+13125550111', Body: 'STOP' };
      const url = `${p.config.publicUrl}/webhooks/twilio/inbound`;
      const res = await fetch(`${p.url}/webhooks/twilio/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature('a'.repeat(32), url, params) },
        body: new URLSearchParams(params).toString(),
      });
      expect(res.status).toBe(200);
      const after = await p.gql(q, { c: String(c.churchId) });
      expect(after.data.members.nodes.find((n: { id: string }) => n.id === String(m.id)).smsOptedOut).toBe(true);
    } finally {
      await p.close();
    }
  });
});

describe('the store', () => {
  it('a soak of 10,000 distinct cached queries leaves no key without a TTL', async () => {
    // 200 distinct pages with people on them (entities, tags), then 9,800 distinct searches
    const variants = Array.from({ length: 10_000 }, (_, i) => page(i < 100 ? x : y, { first: 1 + (i % 100), search: i < 200 ? undefined : `q${i}` }));
    const before = (await responseKeys()).length;
    let next = 0;
    const worker = async () => {
      while (next < variants.length) {
        const v = variants[next++]!;
        const r = await s.gql(PAGE, v);
        expect(r.errors).toBeUndefined();
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await new Promise((r) => setTimeout(r, 200)); // envelop does not await its writes: the last may still be going
    let keys = 0;
    let withoutTtl = 0;
    for await (const batch of raw.scanStream({ match: `${s.config.redis.keyPrefix}rc:*`, count: 2000 })) {
      const list = batch as string[];
      if (!list.length) continue;
      const ttls = await Promise.all(list.map((k) => raw.pttl(k)));
      keys += list.length;
      withoutTtl += list.filter((_, i) => ttls[i] === -1 && !list[i]!.includes(':metrics:')).length;
    }
    const responses = (await responseKeys()).length - before;
    console.log(`cache soak: ${responses} new cached answers, ${keys} keys in all, ${withoutTtl} without a TTL`);
    // a few of the first 200 may have been cached before, and a write slower than the cache timeout
    // is dropped (fail-open: 25 of 10,000 on a machine loaded by three test runs at once)
    expect(responses).toBeGreaterThanOrEqual(9_900);
    expect(keys).toBeGreaterThan(10_000);
    expect(withoutTtl).toBe(0);
  }, 120_000);

  it('counts hits, misses and invalidations across processes, per operation', async () => {
    await s.deps.cache!.metrics.reset();
    await read(page(y, { first: 42, search: 'metrics-probe' }));
    await read(page(y, { first: 42, search: 'metrics-probe' }));
    await read(page(y, { first: 42, search: 'metrics-probe' }));
    await s.gql('mutation($c: ID!) { createMember(input: { churchId: $c, firstName: "Zed", lastName: "Count" }) { id } }', { c: String(y.churchId) });
    const stats = await s.deps.cache!.metrics.read();
    expect(stats).toMatchObject({ hits: 2, misses: 1, errors: 0 });
    expect(stats.hitRatio).toBeCloseTo(2 / 3);
    expect(stats.invalidations).toBeGreaterThan(0);
    expect(stats.operations.find((o) => o.operation === 'Directory')).toMatchObject({ hits: 2, misses: 1 });
    expect(stats.keys).toBeGreaterThan(0);
    expect(stats.memoryBytes).toBeGreaterThan(0);
  });
});

describe('fail open', () => {
  let redis: ChildProcess;
  let port: number;
  let p: TestServer;
  let c: SeededChurch;

  const start = async () => {
    redis = await startRedisServer(port);
  };

  beforeAll(async () => {
    port = await freePort();
    await start();
    p = await startTestServer('cache-failopen', { REDIS_CACHE_URL: `redis://127.0.0.1:${port}`, CACHE_TIMEOUT_MS: '100' });
    c = await seedChurch(p, { members: 5 });
  });
  afterAll(async () => {
    await p?.close();
    redis?.kill('SIGKILL');
  });

  const q = (extra: Record<string, unknown> = {}) => p.gql(PAGE, { c: String(c.churchId), first: 10, ...extra });

  it('a paused (slow) cache Redis: answers still correct, errors counted, and a change made meanwhile is not served stale', async () => {
    expect((await q()).data.members.totalCount).toBe(5);
    p.database.statements.reset();
    expect((await q()).data.members.totalCount).toBe(5);
    expect(p.database.statements.count).toBe(0); // cached
    const admin = new Redis(port, '127.0.0.1');
    try {
      await admin.client('PAUSE', 1500, 'ALL');
      const started = Date.now();
      // the mutation's invalidation times out: remembered, replayed when Redis answers again
      const created = await p.gql('mutation($c: ID!) { createMember(input: { churchId: $c, firstName: "Slow", lastName: "Redis" }) { id } }', { c: String(c.churchId) });
      expect(created.errors).toBeUndefined();
      const during = await q();
      expect(during.errors).toBeUndefined();
      expect(during.data.members.totalCount).toBe(6);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(p.deps.cache!.pendingInvalidations).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 2500));
      expect(p.deps.cache!.pendingInvalidations).toBe(0);
      expect((await q()).data.members.totalCount).toBe(6);
    } finally {
      admin.disconnect();
    }
    const stats = await p.deps.cache!.metrics.read();
    expect(stats.errors).toBeGreaterThan(0);
  });

  it('the cache Redis stopped mid-test: every answer still right', async () => {
    redis.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 3; i++) {
      const r = await q();
      expect(r.errors).toBeUndefined();
      expect(r.data.members.totalCount).toBe(6);
    }
    const created = await p.gql('mutation($c: ID!) { createMember(input: { churchId: $c, firstName: "No", lastName: "Cache" }) { id } }', { c: String(c.churchId) });
    expect(created.errors).toBeUndefined();
    expect((await q()).data.members.totalCount).toBe(7);
    await start(); // back (empty): answers cached again
    await new Promise((r) => setTimeout(r, 2500));
    expect((await q()).data.members.totalCount).toBe(7);
    p.database.statements.reset();
    expect((await q()).data.members.totalCount).toBe(7);
    expect(p.database.statements.count).toBe(0);
  });
});

describe('analytics in the cache', () => {
  const ANALYTICS = `query Dashboard($c: ID!) { analytics(churchId: $c) { membersByStatus { total } messaging { messages textsSent delivered } } }`;

  it('is cached for 5 minutes and dropped when people change', async () => {
    const c = await seedChurch(s, { members: 4 });
    const ask = async () => {
      s.database.statements.reset();
      const r = await s.gql(ANALYTICS, { c: String(c.churchId) });
      expect(r.errors).toBeUndefined();
      return { data: r.data.analytics, sql: s.database.statements.count };
    };
    expect((await ask()).sql).toBeGreaterThan(0);
    expect((await ask()).sql).toBe(0);
    const keys = await responseKeys();
    const ttls = (await Promise.all(keys.map((k) => raw.pttl(k)))).filter((t) => t <= 5 * 60_000);
    expect(ttls.length).toBeGreaterThan(0);
    expect(Math.max(...ttls)).toBeGreaterThan(4.9 * 60_000);
    await s.gql('mutation($c: ID!) { createMember(input: { churchId: $c, firstName: "New", lastName: "Face" }) { id } }', { c: String(c.churchId) });
    const after = await ask();
    expect(after.sql).toBeGreaterThan(0);
    expect(after.data.membersByStatus.total).toBe(5);
  });

  it('the worker drops the messaging figures as deliveries come in', async () => {
    const c = await seedChurch(s, { members: 3 });
    await s.database.sql`UPDATE churches SET sms_from_number = '+13125550177' WHERE id = ${c.churchId}`;
    const { startWorker } = await import('../worker/worker.js');
    const { createLogger } = await import('../src/lib/logger.js');
    const w = await startWorker({ ...s.config, sms: { ...s.config.sms, window: { start: '00:00', end: '24:00' } } }, createLogger('silent'), {
      db: s.config.db.url!,
      redis: TEST_REDIS_URL,
    });
    try {
      const ask = () => s.gql(ANALYTICS, { c: String(c.churchId) }).then((r) => r.data.analytics.messaging);
      expect(await ask()).toMatchObject({ messages: 0, delivered: 0 });
      const sent = await s.gql('mutation($c: ID!) { sendMessage(churchId: $c, body: "Hi all", audience: { everyone: true }, urgent: true) { recipientCount } }', {
        c: String(c.churchId),
      });
      const n = sent.data.sendMessage.recipientCount;
      expect(n).toBeGreaterThan(0);
      const until = Date.now() + 15_000;
      let m = await ask();
      while (m.delivered < n && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        m = await ask();
      }
      // every read in between was either cached or fresh; the last one shows every delivery
      expect(m).toMatchObject({ messages: 1, textsSent: n, delivered: n });
    } finally {
      await w.close();
    }
  });
});
