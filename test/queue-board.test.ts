import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChurch } from './helpers/factories.js';
import { startTestServer, TESTER_EMAIL, type TestServer } from './helpers/server.js';

// Issue 13, item 5: Bull Board at /admin/queues, for platform admins' sessions only, CSRF-safe.
let s: TestServer;
let admin: string;
let staff: string;

beforeAll(async () => {
  s = await startTestServer('queue_board');
  const x = await seedChurch(s, { members: 1 });
  admin = (await s.login(TESTER_EMAIL)).cookie!;
  staff = (await s.userWith('board-staff@example.org', [[x.churchId, 'owner']])).headers.cookie!;
});
afterAll(async () => {
  await s?.deps.smsQueue.resume();
  await s?.close();
});

const get = (path: string, cookie?: string) => fetch(`${s.url}/admin/queues${path}`, { headers: cookie ? { cookie } : {} });

describe('the queue board', () => {
  it('is refused without a session (401) and to a church owner (403), before the board runs', async () => {
    const anon = await get('/');
    expect(anon.status).toBe(401);
    expect(await anon.text()).toMatch(/platform admin/);
    const owner = await get('/api/queues', staff);
    expect(owner.status).toBe(403);
    expect(owner.headers.get('cache-control')).toBe('no-store');
  });

  it('shows a platform admin the SMS queue, with retries left to retryFailedJobs', async () => {
    const page = await get('/', admin);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('Steeple queues');
    const api = await get('/api/queues', admin);
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; allowRetries: boolean; description: string }> };
    expect(body.queues.map((q) => q.name)).toEqual(['sms']);
    expect(body.queues[0]).toMatchObject({ allowRetries: false, description: expect.stringMatching(/retryFailedJobs/) });
  });

  it('a state-changing request from another site is refused; from the board itself it works', async () => {
    const pause = (headers: Record<string, string>) => fetch(`${s.url}/admin/queues/api/queues/sms/pause`, { method: 'PUT', headers: { cookie: admin, ...headers } });
    const refused: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, {}];
    for (const h of refused) {
      expect((await pause(h)).status, JSON.stringify(h)).toBe(403);
      expect(await s.deps.smsQueue.isPaused()).toBe(false);
    }
    expect((await pause({ 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect(await s.deps.smsQueue.isPaused()).toBe(true);
    await s.deps.smsQueue.resume();
    expect((await pause({ origin: s.url })).status).toBe(200);
    expect(await s.deps.smsQueue.isPaused()).toBe(true);
  });
});
