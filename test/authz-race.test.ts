import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_PASSWORD, type GqlResult, type TestServer } from './helpers/server.js';

/**
 * Issue 10 item 1: a session's roles and authz version must agree with what committed. Each test
 * holds one side at the dangerous point through a seam of SessionStore (`seams`), runs the other
 * side to completion, then lets the first go on: the same interleaving every run, no timing.
 */
let s: TestServer;
let a: SeededChurch;
let seq = 0;

const ME = '{ me { churches { role church { id } } } }';
const WRITE = 'mutation($c: ID!, $n: String!) { createGroup(input: { churchId: $c, name: $n }) { id } }';
const DEMOTE = 'mutation($c: ID!, $u: ID!) { setChurchUserRole(churchId: $c, userId: $u, role: VIEWER) { role } }';

/** A one-shot pause: the first caller for `userId` waits at the seam until released. */
function pause() {
  let release!: () => void;
  let arrive!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const arrived = new Promise<void>((r) => (arrive = r));
  let used = false;
  return {
    arrived,
    release,
    hook: (match: boolean) => async () => {
      if (!match || used) return;
      used = true;
      arrive();
      await released;
    },
  };
}

beforeAll(async () => {
  s = await startTestServer('authz-race');
  a = await seedChurch(s, { members: 1 });
});
afterEach(() => {
  delete s.deps.sessions.seams.beforeCommit;
  delete s.deps.sessions.seams.betweenReads;
});
afterAll(() => s?.close());

async function staff() {
  const email = `race-${++seq}@x.test`;
  return { email, ...(await s.userWith(email, [[a.churchId, 'staff']])) };
}

/** What a cookie may do now: it must never write once the database says VIEWER. */
async function expectNoStaffPowers(cookie: string | null) {
  if (!cookie) return;
  const w: GqlResult<any> = await s.gql(WRITE, { c: String(a.churchId), n: `G${++seq}` }, { cookie });
  expect(w.errors?.[0]?.extensions?.code, JSON.stringify(w)).toMatch(/^(UNAUTHENTICATED|FORBIDDEN)$/);
  const me = await s.gql(ME, {}, { cookie });
  if (me.data?.me) expect(me.data.me.churches).toEqual([{ role: 'VIEWER', church: { id: String(a.churchId) } }]);
}

async function roleInDb(userId: number): Promise<string> {
  const [r] = await s.database.sql<{ role: string }[]>`SELECT role FROM church_roles WHERE user_id = ${userId} AND church_id = ${a.churchId}`;
  return r!.role;
}

describe('a sign-in racing a role change', () => {
  it('login while the demotion is written but not committed: the new session is not STAFF', async () => {
    const u = await staff();
    const p = pause();
    s.deps.sessions.seams.beforeCommit = async (ids) => p.hook(ids.includes(u.id))();
    const demotion = s.gql(DEMOTE, { c: String(a.churchId), u: String(u.id) });
    await p.arrived;
    const { cookie } = await s.login(u.email); // completes inside the window
    expect(cookie).not.toBeNull();
    p.release();
    expect((await demotion).errors).toBeUndefined();
    expect(await roleInDb(u.id)).toBe('viewer');
    await expectNoStaffPowers(cookie);
  });

  it('login that read the version, then the demotion commits, then it reads the roles', async () => {
    const u = await staff();
    const p = pause();
    s.deps.sessions.seams.betweenReads = async (id) => p.hook(id === u.id)();
    const login = s.login(u.email);
    await p.arrived;
    expect((await s.gql(DEMOTE, { c: String(a.churchId), u: String(u.id) })).errors).toBeUndefined();
    p.release();
    await expectNoStaffPowers((await login).cookie);
  });

  it('changePassword re-signing in while a demotion commits between its reads', async () => {
    const u = await staff();
    const p = pause();
    s.deps.sessions.seams.betweenReads = async (id) => p.hook(id === u.id)();
    const change = s.gql(`mutation { changePassword(currentPassword: "${TEST_PASSWORD}", newPassword: "a new long passphrase") }`, {}, u.headers);
    await p.arrived;
    expect((await s.gql(DEMOTE, { c: String(a.churchId), u: String(u.id) })).errors).toBeUndefined();
    p.release();
    const r = await change;
    expect(r.errors).toBeUndefined();
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith(`${s.config.auth.cookieName}=`))?.split(';')[0] ?? null;
    await expectNoStaffPowers(cookie);
  });
});

describe('a sign-in racing the end of the account or password', () => {
  it('deactivated between the password check and the session: no session', async () => {
    const u = await staff();
    const p = pause();
    s.deps.sessions.seams.betweenReads = async (id) => p.hook(id === u.id)();
    const login = s.login(u.email);
    await p.arrived;
    expect((await s.gql('mutation($u: ID!) { deactivateUser(userId: $u) { id } }', { u: String(u.id) })).errors).toBeUndefined();
    p.release();
    const r = await login;
    expect(r.cookie).toBeNull();
    expect(r.result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('the password changed after this sign-in checked the old one: no session', async () => {
    const u = await staff();
    const p = pause();
    s.deps.sessions.seams.betweenReads = async (id) => p.hook(id === u.id)();
    const login = s.login(u.email); // the old password, checked before the change
    await p.arrived;
    const change = await s.gql(`mutation { changePassword(currentPassword: "${TEST_PASSWORD}", newPassword: "a new long passphrase") }`, {}, u.headers);
    expect(change.errors).toBeUndefined();
    p.release();
    const r = await login;
    expect(r.cookie).toBeNull();
    expect(r.result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
