import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisMonitor } from './helpers/redis-monitor.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// The cache door (src/http/cache-door.ts): one place authenticates, renews the cookie, sets the
// request id, decides cacheability and reads Redis, for hits and misses alike.

let s: TestServer;
let x: SeededChurch;
let monitor: { close(): void };
const lines: Array<Record<string, unknown>> = [];
const commands: string[][] = [];

const COUNT = `query HeadCount($c: ID!) { members(churchId: $c, first: 3) { totalCount nodes { id } } }`;

async function post(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { res, body: (await res.json()) as { data?: unknown; errors?: unknown } };
}

/** Redis GETs of cached responses seen by MONITOR since the last call (after the server's own wait). */
async function responseReads(): Promise<number> {
  await new Promise((r) => setTimeout(r, 100));
  const n = commands.filter((c) => c[0]?.toLowerCase() === 'get' && c[1]?.startsWith(`${s.config.redis.keyPrefix}rc:resp:`)).length;
  commands.length = 0;
  return n;
}

beforeAll(async () => {
  s = await startTestServer('cache-door', { LOG_LEVEL: 'debug' }, { logDestination: { write: (l) => void lines.push(JSON.parse(l)) } });
  x = await seedChurch(s, { members: 8 });
  monitor = await redisMonitor(TEST_REDIS_URL, (args) => void commands.push(args));
});
afterAll(async () => {
  monitor?.close();
  await s?.close();
});

describe('the cache door', () => {
  it('a miss reads Redis once and a hit not at all; each authenticates once and renews the cookie once', async () => {
    await s.userWith('door-staff@example.org', [[x.churchId, 'staff']]);
    const { cookie } = await s.login('door-staff@example.org');
    expect(cookie).toBeTruthy();
    const touch = vi.spyOn(s.deps.sessions, 'touch');
    await responseReads();

    const miss = await post(COUNT, { c: String(x.churchId) }, { cookie: cookie! });
    expect(miss.body.errors).toBeUndefined();
    expect(touch).toHaveBeenCalledTimes(1);
    expect(await responseReads()).toBe(1); // the door's read; envelop's read is answered by the door's miss
    const missCookies = miss.res.headers.getSetCookie().filter((c) => c.startsWith(`${s.config.auth.cookieName}=`));
    expect(missCookies).toHaveLength(1);

    const hit = await post(COUNT, { c: String(x.churchId) }, { cookie: cookie! });
    expect(hit.body).toEqual(miss.body);
    expect(touch).toHaveBeenCalledTimes(2);
    // the answer this process wrote is kept in its memory tier: a hit costs no Redis read
    expect(await responseReads()).toBe(0);
    const hitCookies = hit.res.headers.getSetCookie().filter((c) => c.startsWith(`${s.config.auth.cookieName}=`));
    expect(hitCookies).toHaveLength(1);
    expect(hitCookies[0]).toMatch(/Max-Age=\d+/);
    touch.mockRestore();
  });

  it('a hit gets a request id and the same log line as an executed request', async () => {
    const { cookie } = await s.login('door-staff@example.org');
    const doc = COUNT.replace('HeadCount', 'HeadCountAgain');
    lines.length = 0;
    await responseReads();
    const miss = await post(doc, { c: String(x.churchId) }, { cookie: cookie!, 'x-request-id': 'door-miss-1' });
    expect(miss.res.headers.get('x-request-id')).toBe('door-miss-1');
    const hit = await post(doc, { c: String(x.churchId) }, { cookie: cookie! });
    expect(hit.body).toEqual(miss.body);
    expect(await responseReads()).toBe(1); // the miss's; the hit is served from memory
    const rid = hit.res.headers.get('x-request-id');
    expect(rid).toMatch(/^[0-9a-f-]{36}$/);
    const logged = lines.filter((l) => l.msg === 'graphql request');
    const byId = (r: string) => logged.filter((l) => l.requestId === r);
    expect(byId('door-miss-1')).toHaveLength(1);
    expect(byId(rid!)).toHaveLength(1);
    expect(byId('door-miss-1')[0]).toMatchObject({ operation: 'HeadCountAgain', type: 'query' });
    expect(byId(rid!)[0]).toMatchObject({ operation: 'HeadCountAgain', type: 'query' });
  });

  it('a mutation or an anonymous request is still authenticated once and given a request id', async () => {
    const touch = vi.spyOn(s.deps.sessions, 'touch');
    const { cookie } = await s.login('door-staff@example.org');
    touch.mockClear();
    await responseReads();
    s.database.statements.reset();
    const me = await post('{ me { user { email } } }', {}, { cookie: cookie! });
    expect(me.body).toEqual({ data: { me: { user: { email: 'door-staff@example.org' } } } });
    // only what is asked: the user row, not the viewer's churches
    expect(s.database.statements.count).toBe(1);
    expect(touch).toHaveBeenCalledTimes(1);
    expect(me.res.headers.get('x-request-id')).toBeTruthy();
    const anon = await post('{ me { user { id } } }', {}, {});
    expect(anon.body).toEqual({ data: { me: null } });
    expect(anon.res.headers.get('x-request-id')).toBeTruthy();
    expect(await responseReads()).toBe(0); // not cacheable: the cache is not asked
    touch.mockRestore();
  });
});
