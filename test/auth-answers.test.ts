import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_PASSWORD, type GqlResult, type TestServer } from './helpers/server.js';

/** Issue 10 item 19: one Set-Cookie per answer; an ADMIN cannot tell whether an email is taken elsewhere. */
let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;

beforeAll(async () => {
  s = await startTestServer('auth-answers');
  a = await seedChurch(s, { members: 0 });
  b = await seedChurch(s, { members: 0 });
});
afterAll(() => s?.close());

const sessionCookies = (r: GqlResult<unknown>) => r.headers.getSetCookie().filter((c) => c.startsWith(`${s.config.auth.cookieName}=`));

describe('one Set-Cookie for the session cookie per answer', () => {
  it('login from a browser that already has a session: one header, the new session', async () => {
    const u = await s.userWith('cookie-once@x.test', [[a.churchId, 'viewer']]);
    const again = await s.login('cookie-once@x.test', TEST_PASSWORD, u.headers);
    expect(sessionCookies(again.result)).toHaveLength(1);
    expect(again.cookie).not.toBe(u.headers.cookie);
    expect((await s.gql('{ me { user { email } } }', {}, { cookie: again.cookie! })).data.me.user.email).toBe('cookie-once@x.test');
  });

  it('logout: one header, which clears the cookie', async () => {
    const u = await s.userWith('cookie-out@x.test', [[a.churchId, 'viewer']]);
    const out = await s.gql('mutation { logout }', {}, u.headers);
    const set = sessionCookies(out);
    expect(set).toHaveLength(1);
    expect(set[0]).toMatch(new RegExp(`^${s.config.auth.cookieName}=;`));
  });

  it('changePassword: one header, the new session', async () => {
    const u = await s.userWith('cookie-pw@x.test', [[a.churchId, 'viewer']]);
    const r = await s.gql(`mutation { changePassword(currentPassword: "${TEST_PASSWORD}", newPassword: "a long new passphrase") }`, {}, u.headers);
    expect(r.errors).toBeUndefined();
    expect(sessionCookies(r)).toHaveLength(1);
  });

  it('an ordinary request still renews the cookie once', async () => {
    const u = await s.userWith('cookie-renew@x.test', [[a.churchId, 'viewer']]);
    expect(sessionCookies(await s.gql('{ me { user { id } } }', {}, u.headers))).toHaveLength(1);
  });
});

describe("an ADMIN's addChurchUser does not reveal accounts of other churches", () => {
  it('the same answer for an email with an account elsewhere and an email nobody has', async () => {
    const admin = await s.userWith('answers-admin@x.test', [[a.churchId, 'admin']]);
    await s.userWith('taken-elsewhere@x.test', [[b.churchId, 'staff']]);
    const add = (email: string, extra: Record<string, unknown>) =>
      s.gql('mutation($i: AddChurchUserInput!) { addChurchUser(input: $i) { role } }', { i: { churchId: String(a.churchId), email, role: 'VIEWER', ...extra } }, admin.headers);
    for (const extra of [{}, { name: 'Some One' }, { name: 'Some One', password: 'short' }, { password: 'long enough password' }]) {
      const taken = await add('taken-elsewhere@x.test', extra);
      const free = await add(`free-${Object.keys(extra).join('-')}@x.test`, extra);
      expect(taken.errors, JSON.stringify(extra)).toBeDefined();
      expect(taken.errors, JSON.stringify(extra)).toEqual(free.errors);
    }
    // with everything valid the account would be created; the taken one is refused without details
    const taken = await add('taken-elsewhere@x.test', { name: 'Some One', password: 'long enough password' });
    expect(taken.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    expect(JSON.stringify(taken)).not.toMatch(/taken-elsewhere@x\.test|staff|Test Church/i);
  });
});
