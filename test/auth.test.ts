import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { sessionCookieOf, startTestServer, TEST_PASSWORD, type GqlResult, type TestServer } from './helpers/server.js';

let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;

const ME = '{ me { authenticatedBy user { id email } churches { role church { id } } } }';
const MEMBERS = 'query($c: ID!) { members(churchId: $c, first: 2) { totalCount } }';

function code(r: GqlResult<unknown>): string | undefined {
  return r.errors?.[0]?.extensions?.code;
}

beforeAll(async () => {
  s = await startTestServer('auth', { LOGIN_MAX_FAILURES: '10', LOGIN_WINDOW_S: '60' });
  a = await seedChurch(s, { members: 3 });
  b = await seedChurch(s, { members: 3 });
});
afterAll(() => s?.close());

describe('sign-in and sessions', () => {
  it('anonymous: me is null and church data needs sign-in', async () => {
    const me = await s.gql(ME, {}, {});
    expect(me.errors).toBeUndefined();
    expect(me.data.me).toBeNull();
    const r = await s.gql(MEMBERS, { c: String(a.churchId) }, {});
    expect(code(r)).toBe('UNAUTHENTICATED');
    expect(r.data ?? null).toBeNull();
  });

  it('sets an httpOnly, SameSite=Lax session cookie and answers me', async () => {
    const u = await s.userWith('cookie@x.test', [[a.churchId, 'staff']]);
    const { result } = await s.login('cookie@x.test');
    const raw = result.headers.getSetCookie().find((c) => c.startsWith('steeple_session='))!;
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toMatch(/SameSite=Lax/i);
    expect(raw).toMatch(/Path=\//);
    expect(raw).toMatch(/Max-Age=\d+/);
    expect(raw).not.toMatch(/Secure/i); // plain http in tests; see the production flags test
    const me = await s.gql(ME, {}, u.headers);
    expect(me.data.me).toMatchObject({ authenticatedBy: 'session', user: { email: 'cookie@x.test' }, churches: [{ role: 'STAFF', church: { id: String(a.churchId) } }] });
  });

  it('a new session id at every login, even when the browser already had one (no fixation)', async () => {
    const u = await s.userWith('fixation@x.test', [[a.churchId, 'viewer']]);
    const again = await s.login('fixation@x.test', TEST_PASSWORD, u.headers);
    expect(again.cookie).not.toBeNull();
    expect(again.cookie).not.toBe(u.headers.cookie);
    // the session the browser came with is gone
    expect((await s.gql(ME, {}, u.headers)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await s.gql(ME, {}, { cookie: again.cookie! })).data.me.user.email).toBe('fixation@x.test');
  });

  it('logout deletes the session: the old cookie is refused', async () => {
    const u = await s.userWith('logout@x.test', [[a.churchId, 'viewer']]);
    const out = await s.gql('mutation { logout }', {}, u.headers);
    expect(out.data.logout).toBe(true);
    expect(out.headers.getSetCookie().some((c) => /steeple_session=;/.test(c))).toBe(true);
    const r = await s.gql(MEMBERS, { c: String(a.churchId) }, u.headers);
    expect(code(r)).toBe('UNAUTHENTICATED');
    expect(r.errors![0]!.message).toMatch(/session has ended/);
  });

  it('the session lifetime slides: every use renews the Redis expiry', async () => {
    const u = await s.userWith('slide@x.test', [[a.churchId, 'viewer']]);
    const keys = await s.redis.keys(`${s.config.redis.keyPrefix}sess:*`);
    expect(keys.length).toBeGreaterThan(0);
    const raw = new (await import('ioredis')).Redis(s.config.redis.url!);
    try {
      for (const k of keys) await raw.expire(k, 100);
      await s.gql(ME, {}, u.headers);
      const ttls = await Promise.all(keys.map((k) => raw.ttl(k)));
      expect(Math.max(...ttls)).toBeGreaterThan(100);
      expect(Math.max(...ttls)).toBeLessThanOrEqual(s.config.auth.sessionTtlS);
    } finally {
      raw.disconnect();
    }
  });

  it('a wrong password or an unknown email is UNAUTHENTICATED with the same message', async () => {
    await s.userWith('wrong@x.test', []);
    const bad = await s.login('wrong@x.test', 'not the password');
    const unknown = await s.login('nobody@x.test', 'not the password');
    expect(code(bad.result)).toBe('UNAUTHENTICATED');
    expect(code(unknown.result)).toBe('UNAUTHENTICATED');
    expect(bad.result.errors![0]!.message).toBe(unknown.result.errors![0]!.message);
    expect(bad.cookie).toBeNull();
  });
});

describe('sessions end at once', () => {
  it('when an admin changes the role', async () => {
    const target = await s.userWith('demoted@x.test', [[a.churchId, 'staff']]);
    expect((await s.gql(MEMBERS, { c: String(a.churchId) }, target.headers)).errors).toBeUndefined();
    const r = await s.gql(
      'mutation($c: ID!, $u: ID!) { setChurchUserRole(churchId: $c, userId: $u, role: VIEWER) { role user { id } } }',
      { c: String(a.churchId), u: String(target.id) },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.setChurchUserRole.role).toBe('VIEWER');
    expect(code(await s.gql(MEMBERS, { c: String(a.churchId) }, target.headers))).toBe('UNAUTHENTICATED');
    // signing in again carries the new role: reads work, writes are FORBIDDEN
    const { cookie } = await s.login('demoted@x.test');
    const write = await s.gql('mutation($c: ID!) { createGroup(input: { churchId: $c, name: "X" }) { id } }', { c: String(a.churchId) }, { cookie: cookie! });
    expect(code(write)).toBe('FORBIDDEN');
  });

  it('when the user is deactivated (and they cannot sign in again until reactivated)', async () => {
    const target = await s.userWith('deactivated@x.test', [[a.churchId, 'staff']]);
    const r = await s.gql('mutation($u: ID!) { deactivateUser(userId: $u) { deactivatedAt } }', { u: String(target.id) });
    expect(r.data.deactivateUser.deactivatedAt).not.toBeNull();
    expect(code(await s.gql(ME, {}, target.headers))).toBe('UNAUTHENTICATED');
    expect(code((await s.login('deactivated@x.test')).result)).toBe('UNAUTHENTICATED');
    await s.gql('mutation($u: ID!) { reactivateUser(userId: $u) { id } }', { u: String(target.id) });
    expect((await s.login('deactivated@x.test')).cookie).not.toBeNull();
  });

  it('when the role is removed', async () => {
    const target = await s.userWith('removed@x.test', [[a.churchId, 'staff']]);
    const r = await s.gql('mutation($c: ID!, $u: ID!) { removeChurchUser(churchId: $c, userId: $u) }', { c: String(a.churchId), u: String(target.id) });
    expect(r.data.removeChurchUser).toBe(true);
    expect(code(await s.gql(ME, {}, target.headers))).toBe('UNAUTHENTICATED');
    const { cookie } = await s.login('removed@x.test');
    expect(code(await s.gql(MEMBERS, { c: String(a.churchId) }, { cookie: cookie! }))).toBe('NOT_FOUND');
  });

  it('a password change ends the other sessions; this one continues under a new id', async () => {
    const phone = await s.userWith('pw@x.test', [[a.churchId, 'viewer']]);
    const laptop = await s.login('pw@x.test');
    const bad = await s.gql('mutation { changePassword(currentPassword: "nope", newPassword: "a brand new passphrase") }', {}, { cookie: laptop.cookie! });
    expect(code(bad)).toBe('UNAUTHENTICATED');
    const short = await s.gql(`mutation { changePassword(currentPassword: "${TEST_PASSWORD}", newPassword: "short") }`, {}, { cookie: laptop.cookie! });
    expect(short.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    const ok = await s.gql(`mutation { changePassword(currentPassword: "${TEST_PASSWORD}", newPassword: "a brand new passphrase") }`, {}, { cookie: laptop.cookie! });
    expect(ok.data.changePassword).toBe(true);
    const renewed = sessionCookieOf(ok, s.config.auth.cookieName);
    expect(renewed).not.toBeNull();
    expect(renewed).not.toBe(laptop.cookie);
    expect(code(await s.gql(ME, {}, phone.headers))).toBe('UNAUTHENTICATED');
    expect(code(await s.gql(ME, {}, { cookie: laptop.cookie! }))).toBe('UNAUTHENTICATED');
    expect((await s.gql(ME, {}, { cookie: renewed! })).data.me.user.email).toBe('pw@x.test');
    expect(code((await s.login('pw@x.test')).result)).toBe('UNAUTHENTICATED');
    expect((await s.login('pw@x.test', 'a brand new passphrase')).cookie).not.toBeNull();
  });
});

describe('login rate limit', () => {
  it('refuses the 11th attempt in the window with the seconds to wait, even with the right password', async () => {
    await s.userWith('limited@x.test', []);
    // the test connects from loopback, a trusted proxy (TRUST_PROXY): the forwarded address counts
    const headers = { 'x-forwarded-for': '10.0.0.1' };
    for (let i = 0; i < 10; i++) expect(code((await s.login('limited@x.test', 'wrong password', headers)).result)).toBe('UNAUTHENTICATED');
    const eleventh = await s.login('limited@x.test', TEST_PASSWORD, headers);
    expect(eleventh.cookie).toBeNull();
    expect(eleventh.result.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    const wait = eleventh.result.errors![0]!.extensions!.retryAfterSeconds as number;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    // another account from the same IP is not locked out by this one's failures
    await s.userWith('neighbour@x.test', []);
    expect((await s.login('neighbour@x.test')).cookie).not.toBeNull();
  });

  it('limits attempts per IP across accounts', async () => {
    const p = await startTestServer('auth-ip', { LOGIN_IP_MAX_ATTEMPTS: '5' });
    try {
      const ip = { 'x-forwarded-for': '10.9.9.9' };
      for (let i = 0; i < 5; i++) expect(code((await p.login(`nobody${i}@x.test`, 'wrong', ip)).result)).toBe('UNAUTHENTICATED');
      expect(code((await p.login('someone-else@x.test', 'wrong', ip)).result)).toBe('RATE_LIMITED');
      // another address is unaffected
      expect(code((await p.login('someone-else@x.test', 'wrong', { 'x-forwarded-for': '10.9.9.10' })).result)).toBe('UNAUTHENTICATED');
    } finally {
      await p.close();
    }
  });

  it('counts attempts made as many aliases in one request', async () => {
    await s.userWith('aliases@x.test', []);
    const fields = Array.from({ length: 12 }, (_, i) => `a${i}: login(email: "aliases@x.test", password: "wrong-${i}") { id }`).join('\n');
    const r = await s.gql(`mutation { ${fields} }`, {}, {});
    const codes = r.errors!.map((e) => e.extensions!.code);
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(10);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(2);
    expect(code((await s.login('aliases@x.test')).result)).toBe('RATE_LIMITED');
  });
});

describe('API tokens', () => {
  it('are shown once, stored hashed, authenticate as the user, record use, and stop when revoked', async () => {
    const admin = await s.userWith('token-admin@x.test', [[a.churchId, 'admin']]);
    const created = await s.gql('mutation { createApiToken(input: { name: "nightly export" }) { token apiToken { id name prefix lastUsedAt } } }', {}, admin.headers);
    expect(created.errors).toBeUndefined();
    const { token, apiToken } = created.data.createApiToken;
    expect(token).toMatch(/^stp_[\w-]{43}$/);
    expect(token.startsWith(apiToken.prefix)).toBe(true);
    const stored = await s.database.sql`SELECT token_hash FROM api_tokens WHERE id = ${Number(apiToken.id)}`;
    expect(stored[0]!.token_hash).not.toContain(token.slice(4, 20));
    expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);

    const bearer = { authorization: `Bearer ${token}` };
    const me = await s.gql(ME, {}, bearer);
    expect(me.data.me).toMatchObject({ authenticatedBy: 'token', user: { email: 'token-admin@x.test' } });
    expect((await s.gql(MEMBERS, { c: String(a.churchId) }, bearer)).data.members.totalCount).toBe(3);
    expect(code(await s.gql(MEMBERS, { c: String(b.churchId) }, bearer))).toBe('NOT_FOUND');
    await new Promise((r) => setTimeout(r, 100)); // the use is recorded without holding up the answer
    const list = await s.gql('{ apiTokens { totalCount nodes { id name lastUsedAt revokedAt } } }', {}, admin.headers);
    expect(list.data.apiTokens.totalCount).toBe(1);
    expect(list.data.apiTokens.nodes[0].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list)).not.toContain(token);

    const revoked = await s.gql('mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }', { id: apiToken.id }, admin.headers);
    expect(revoked.data.revokeApiToken.revokedAt).not.toBeNull();
    const after = await s.gql(MEMBERS, { c: String(a.churchId) }, bearer);
    expect(code(after)).toBe('UNAUTHENTICATED');
    expect(after.errors![0]!.message).toMatch(/revoked/);
  });

  it('expire, follow role changes at once, and stop with deactivation', async () => {
    const admin = await s.userWith('token-roles@x.test', [[a.churchId, 'admin']]);
    const past = await s.gql('mutation { createApiToken(input: { name: "x", expiresAt: "2020-01-01T00:00:00Z" }) { token } }', {}, admin.headers);
    expect(past.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.expiresAt' });
    const t = await s.gql('mutation { createApiToken(input: { name: "short", expiresAt: "2099-01-01T00:00:00Z" }) { token apiToken { id } } }', {}, admin.headers);
    const bearer = { authorization: `Bearer ${t.data.createApiToken.token}` };
    await s.database.sql`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${Number(t.data.createApiToken.apiToken.id)}`;
    expect(code(await s.gql(ME, {}, bearer))).toBe('UNAUTHENTICATED');

    const live = await s.gql('mutation { createApiToken(input: { name: "live" }) { token } }', {}, admin.headers);
    const liveBearer = { authorization: `Bearer ${live.data.createApiToken.token}` };
    await s.database.sql`UPDATE church_roles SET role = 'viewer' WHERE user_id = ${admin.id}`;
    const write = await s.gql('mutation($c: ID!) { createGroup(input: { churchId: $c, name: "Y" }) { id } }', { c: String(a.churchId) }, liveBearer);
    expect(code(write)).toBe('FORBIDDEN');
    await s.database.sql`UPDATE users SET deactivated_at = now() WHERE id = ${admin.id}`;
    expect(code(await s.gql(ME, {}, liveBearer))).toBe('UNAUTHENTICATED');
  });

  it('need ADMIN or OWNER somewhere', async () => {
    const staff = await s.userWith('token-staff@x.test', [[a.churchId, 'staff']]);
    expect(code(await s.gql('mutation { createApiToken(input: { name: "x" }) { token } }', {}, staff.headers))).toBe('FORBIDDEN');
    expect(code(await s.gql('mutation { createApiToken(input: { name: "x" }) { token } }', {}, {}))).toBe('UNAUTHENTICATED');
    expect(code(await s.gql(ME, {}, { authorization: 'Bearer stp_not-a-real-token' }))).toBe('UNAUTHENTICATED');
  });
});

describe('user management', () => {
  it('an ADMIN adds a new account with a role; it can sign in; duplicates and weak passwords are refused', async () => {
    const admin = await s.userWith('people-admin@x.test', [[a.churchId, 'admin']]);
    const add = (input: Record<string, unknown>) =>
      s.gql('mutation($i: AddChurchUserInput!) { addChurchUser(input: $i) { role user { id email name } } }', { i: { churchId: String(a.churchId), ...input } }, admin.headers);
    const r = await add({ email: 'New.Person@X.test', name: 'New Person', password: 'long enough password', role: 'STAFF' });
    expect(r.errors).toBeUndefined();
    expect(r.data.addChurchUser).toMatchObject({ role: 'STAFF', user: { email: 'new.person@x.test' } });
    expect((await s.login('new.person@x.test', 'long enough password')).cookie).not.toBeNull();
    expect((await add({ email: 'new.person@x.test', role: 'VIEWER' })).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    expect((await add({ email: 'weak@x.test', name: 'W', password: 'short', role: 'STAFF' })).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.password' });
    expect(code(await add({ email: 'owner2@x.test', name: 'O', password: 'long enough password', role: 'OWNER' }))).toBe('FORBIDDEN');
    // an account of another church is not attached by a church admin: no details, no logout, no role
    const elsewhere = await s.userWith('elsewhere@x.test', [[b.churchId, 'staff']]);
    const attach = await add({ email: 'elsewhere@x.test', role: 'VIEWER' });
    // the same answer as for an email nobody has (test/authz-race.test.ts compares them whole)
    expect(attach.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect(JSON.stringify(attach)).not.toContain(String(elsewhere.id));
    expect((await s.gql(ME, {}, elsewhere.headers)).data.me.churches).toHaveLength(1);
    // a platform admin (the default caller) may, and the person's sessions pick up the new role
    const byOps = await s.gql('mutation($i: AddChurchUserInput!) { addChurchUser(input: $i) { role } }', {
      i: { churchId: String(a.churchId), email: 'elsewhere@x.test', role: 'VIEWER' },
    });
    expect(byOps.data.addChurchUser.role).toBe('VIEWER');
    const users = await s.gql('query($c: ID!) { churchUsers(churchId: $c, first: 50) { totalCount nodes { role user { email } } } }', { c: String(a.churchId) }, admin.headers);
    expect(users.data.churchUsers.nodes.map((n: { user: { email: string } }) => n.user.email)).toContain('new.person@x.test');
  });

  it('keeps at least one OWNER', async () => {
    const c = await seedChurch(s, { members: 0, grant: false });
    const owner = await s.userWith('only-owner@x.test', [[c.churchId, 'owner']]);
    const demote = await s.gql('mutation($c: ID!, $u: ID!) { setChurchUserRole(churchId: $c, userId: $u, role: ADMIN) { role } }', { c: String(c.churchId), u: String(owner.id) }, owner.headers);
    expect(demote.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'role' });
    const remove = await s.gql('mutation($c: ID!, $u: ID!) { removeChurchUser(churchId: $c, userId: $u) }', { c: String(c.churchId), u: String(owner.id) }, owner.headers);
    expect(remove.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('production cookie flags', () => {
  it('Secure and the __Host- prefix when cookies are secure', async () => {
    const p = await startTestServer('auth-secure', { COOKIE_SECURE: 'true' });
    try {
      const u = await p.userWith('secure@x.test', []);
      expect(u.headers.cookie).toMatch(/^__Host-steeple_session=/);
      const { result } = await p.login('secure@x.test');
      const raw = result.headers.getSetCookie().find((c) => c.startsWith('__Host-steeple_session='))!;
      expect(raw).toMatch(/; Secure/i);
      expect(raw).toMatch(/HttpOnly/i);
      expect(raw).toMatch(/SameSite=Lax/i);
    } finally {
      await p.close();
    }
  });
});

describe('me computes only what is asked', () => {
  it('the user id and platform flag come from the session (no statement); the rest is one statement', async () => {
    const u = await s.userWith('me-cost@example.org', [[a.churchId, 'staff']]);
    s.database.statements.reset();
    const lean = await s.gql<any>('{ me { user { id isPlatformAdmin } } }', {}, u.headers);
    expect(lean.errors).toBeUndefined();
    expect(lean.data.me.user).toEqual({ id: String(u.id), isPlatformAdmin: false });
    expect(s.database.statements.count).toBe(0);
    const full = await s.gql<any>('{ me { user { id email name deactivatedAt createdAt } } }', {}, u.headers);
    expect(full.errors).toBeUndefined();
    expect(full.data.me.user).toMatchObject({ id: String(u.id), email: 'me-cost@example.org', deactivatedAt: null });
    expect(Date.parse(full.data.me.user.createdAt)).toBeGreaterThan(0);
    expect(s.database.statements.count).toBe(1);
  });
});
