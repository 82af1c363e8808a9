import express from 'express';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessKey } from '../src/cache/policy.js';
import { clearSessionCookie, sessionCookie } from '../src/http/cookie.js';
import { authenticate } from '../src/modules/auth/authenticate.js';
import { SessionStore } from '../src/modules/auth/sessions.js';
import type { Db } from '../src/db/client.js';
import type { Logger } from '../src/lib/logger.js';
import { deleteKeys } from './helpers/redis.js';
import { TEST_REDIS_URL } from './helpers/server.js';

// What a signed-in request no longer rebuilds (src/http/cookie.ts, src/modules/auth/sessions.ts,
// authenticate.ts, src/cache/policy.ts): the Set-Cookie renewal is spelled without Express, the
// session's parse and viewer are kept while Redis returns the same text, and none of it delays a
// revocation.

const auth = { cookieName: 'steeple_session', sessionTtlS: 14 * 86400, cookieSecure: true } as Parameters<typeof sessionCookie>[0];

describe('the session cookie', () => {
  it('is what Express res.cookie and res.clearCookie write, byte for byte', async () => {
    const app = express();
    const id = 'abcDEF_123-xyz0123456789abcdefghijklmnopqrs';
    const options = { httpOnly: true, sameSite: 'lax' as const, secure: true, path: '/' };
    app.get('/express', (_req, res) => void res.cookie(auth.cookieName, id, { ...options, maxAge: auth.sessionTtlS * 1000 }).end());
    app.get('/express-clear', (_req, res) => void res.clearCookie(auth.cookieName, options).end());
    app.get('/ours', (_req, res) => void res.setHeader('set-cookie', sessionCookie(auth, id)).end());
    app.get('/ours-clear', (_req, res) => {
      clearSessionCookie(res, auth);
      res.end();
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cookie = async (p: string) => (await fetch(base + p)).headers.get('set-cookie')!;
    try {
      for (let attempt = 0; ; attempt++) {
        // the same second on both sides (Expires has one-second resolution)
        const t = Math.floor(Date.now() / 1000);
        const [theirs, ours] = [await cookie('/express'), await cookie('/ours')];
        if (Math.floor(Date.now() / 1000) !== t && attempt < 5) continue;
        expect(ours).toBe(theirs);
        expect(ours).toMatch(/^steeple_session=abcDEF_123-xyz\w+; Max-Age=1209600; Path=\/; Expires=\w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT; HttpOnly; Secure; SameSite=Lax$/);
        break;
      }
      expect(await cookie('/ours-clear')).toBe(await cookie('/express-clear'));
      // without Secure (COOKIE_SECURE=false), and an id that would need encoding
      expect(sessionCookie({ ...auth, cookieSecure: false }, 'x', 0)).toBe('steeple_session=x; Max-Age=1209600; Path=/; Expires=Thu, 15 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax');
      expect(sessionCookie(auth, 'a b', 0)).toContain('steeple_session=a%20b; Max-Age=1209600');
    } finally {
      server.close();
    }
  });
});

describe('a session read', () => {
  const prefix = 'test:hot-path:';
  let redis: Redis;
  let store: SessionStore;
  const deps = () => ({ db: null as unknown as Db, sessions: store, cookieName: 'sid', log: console as unknown as Logger });
  const read = (sid: string) => authenticate({ cookieHeader: `sid=${sid}`, authorization: undefined }, deps());

  beforeAll(async () => {
    await deleteKeys(TEST_REDIS_URL, prefix);
    redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
    store = new SessionStore(redis, 3600);
  });
  afterAll(async () => {
    redis.disconnect();
    await deleteKeys(TEST_REDIS_URL, prefix);
  });

  it('asks Redis every time but builds the viewer once while the session is unchanged', async () => {
    const sid = await store.create({ userId: 71, email: 'a@example.org', name: 'A', platformAdmin: false, roles: [[3, 'staff'], [1, 'viewer']], version: 0 });
    const first = await read(sid);
    const second = await read(sid);
    expect(first.viewer).toMatchObject({ userId: 71, via: 'session', sessionId: sid });
    expect([...first.viewer!.roles]).toEqual([[3, 'staff'], [1, 'viewer']]);
    expect(second.viewer).toBe(first.viewer);
    expect(accessKey(second.viewer!)).toBe('1=viewer,3=staff');
    // a session whose text changes in Redis (a new role) is parsed again: a new viewer, a new access key
    const key = `sess:${createHash('sha256').update(sid).digest('hex')}`;
    const raw = JSON.parse((await redis.get(key))!) as { roles: unknown };
    raw.roles = [[3, 'admin']];
    await redis.set(key, JSON.stringify(raw), 'EX', 3600);
    const third = await read(sid);
    expect(third.viewer).not.toBe(first.viewer);
    expect(accessKey(third.viewer!)).toBe('3=admin');
  });

  it('refuses a revoked or ended session at once, however often it was read', async () => {
    const sid = await store.create({ userId: 72, email: 'b@example.org', name: 'B', platformAdmin: false, roles: [[1, 'staff']], version: 0 });
    for (let i = 0; i < 3; i++) expect((await read(sid)).viewer?.userId).toBe(72);
    await store.revokeUser(72);
    expect(await read(sid)).toEqual({ viewer: null, authError: 'Your session has ended; sign in again' });
    const sid2 = await store.create({ userId: 73, email: 'c@example.org', name: 'C', platformAdmin: false, roles: [], version: 0 });
    expect((await read(sid2)).viewer?.userId).toBe(73);
    await store.destroy(sid2, 73);
    expect((await read(sid2)).viewer).toBeNull();
  });

  it('a cookie of a session that does not exist is not kept (nothing for a flood of made-up ids to fill)', async () => {
    const parsed = (store as unknown as { parsed: Map<string, unknown> }).parsed;
    const before = parsed.size;
    for (let i = 0; i < 50; i++) expect((await read(`${'x'.repeat(40)}${String(i).padStart(3, '0')}`)).viewer).toBeNull();
    expect(parsed.size).toBe(before);
  });
});
