import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { freePort, startTestServer, TEST_PASSWORD, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// Issue 17 item 4: the reference app (web/, served at /app) in a real browser, Debian's Chromium
// driven by playwright-core: sign in, page the directory, search, text a group and watch the
// progress reach COMPLETED over the WebSocket, sign out; and a page of an origin that is not in
// CORS_ORIGINS can neither read /graphql with the user's cookie nor open a socket.
const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '..');

let s: TestServer;
let x: SeededChurch;
let worker: RunningWorker;
let context: BrowserContext;
let page: Page;
let profile: string;
const pages: http.Server[] = [];
let allowedOrigin: string;
let peek: MockInstance;
let foreignOrigin: string;

/** A page of another origin that tries the API with the browser's cookie, by fetch and by WebSocket. */
function foreignPage(port: number, api: string): Promise<http.Server> {
  const html = `<!doctype html><meta charset="utf-8"><title>elsewhere</title><script>
    window.probe = async () => {
      const out = {};
      try {
        const res = await fetch(${JSON.stringify(`${api}/graphql`)}, { method: 'POST', credentials: 'include',
          headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { user { email } } }' }) });
        out.fetch = (await res.json()).data.me?.user.email ?? 'anonymous';
      } catch (e) { out.fetch = 'blocked'; }
      out.ws = await new Promise((resolve) => {
        const ws = new WebSocket(${JSON.stringify(`${api.replace(/^http/, 'ws')}/graphql`)}, 'graphql-transport-ws');
        ws.onopen = () => { ws.close(); resolve('open'); };
        ws.onerror = () => resolve('refused');
      });
      return out;
    };
  </script>`;
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

/** web/dist is newer than every source of the app. */
function builtFresh(): boolean {
  const index = statSync(path.join(ROOT, 'web/dist/index.html'), { throwIfNoEntry: false });
  if (!index) return false;
  let newest = 0;
  const visit = (p: string) => {
    const st = statSync(p);
    newest = Math.max(newest, st.mtimeMs);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(path.join(p, name));
  };
  for (const p of ['web/src', 'web/index.html', 'web/vite.config.ts']) visit(path.join(ROOT, p));
  return index.mtimeMs >= newest;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
  // the app as npm start serves it (.ci/run builds it first; built here when missing or stale)
  if (!builtFresh()) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', path.join(ROOT, 'web/vite.config.ts'), '--logLevel', 'error'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run web:build failed');
  }
  const [allowedPort, foreignPort] = [await freePort(), await freePort()];
  allowedOrigin = `http://127.0.0.1:${allowedPort}`;
  foreignOrigin = `http://127.0.0.1:${foreignPort}`;
  // texts go out at any hour; one more origin is listed, the foreign one is not
  s = await startTestServer('browser', { SMS_WINDOW_START: '00:00', SMS_WINDOW_END: '24:00', CORS_ORIGINS: allowedOrigin });
  x = await seedChurch(s, { members: 45, name: 'Grace Browser Church', grant: false });
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550100' WHERE id = ${x.churchId}`;
  // dialable numbers (the factory's 555 area code is not)
  await s.database.sql`UPDATE members SET phone = '+1312555' || lpad((1000 + id % 9000)::text, 4, '0') WHERE church_id = ${x.churchId}`;
  await s.database.sql`UPDATE groups SET name = 'Choir' WHERE id = ${x.groupIds[0]!}`;
  await s.userWith('browser-owner@example.org', [[x.churchId, 'owner']]);
  worker = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL });
  pages.push(await foreignPage(allowedPort, s.url), await foreignPage(foreignPort, s.url));

  profile = mkdtempSync(path.join(tmpdir(), 'steeple-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(15_000);
  page = context.pages()[0] ?? (await context.newPage());
  peek = vi.spyOn(s.deps.cache!, 'peek');
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  for (const p of pages) p.close();
  await worker?.close();
  await s?.close();
});

/** What the app sent to /graphql: method, and whether a document's text went along. */
const sent: Array<{ method: string; text: boolean; hash: boolean }> = [];

describe('the reference app in Chromium', () => {
  it('signs in', async () => {
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname !== '/graphql' || r.method() === 'OPTIONS') return;
      const body = r.postData() ?? '';
      sent.push({ method: r.method(), text: u.searchParams.has('query') || body.includes('"query"'), hash: (u.searchParams.get('extensions') ?? body).includes('sha256Hash') });
    });
    await page.goto(`${s.url}/app/`);
    await expect(page.title()).resolves.toBe('Sign in · Steeple');
    await page.getByLabel('Email').fill('browser-owner@example.org');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Directory' }).waitFor();
    await page.getByText('Signed in as').waitFor();
  });

  it('pages the directory and searches it, by hash over GET through the cache door', async () => {
    await page.getByText('1–20 of 45 people').waitFor();
    // the first page is cacheable: the door looked it up (it serves only plain-JSON, hash-resolved requests)
    expect(peek).toHaveBeenCalled();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('21–40 of 45 people').waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('41–45 of 45 people').waitFor();
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('21–40 of 45 people').waitFor();
    await page.getByLabel('Search by name, email or phone').fill('Kai');
    await page.getByText('1–3 of 3 people').waitFor();
    const names = await page.locator('tbody th').allTextContents();
    expect(names.sort()).toEqual(['Kai Adams', 'Kai Brown', 'Kai Clark']);
    await page.getByRole('link', { name: 'Kai Brown' }).click();
    await page.getByRole('heading', { name: 'Kai Brown' }).waitFor();
    await page.getByRole('heading', { name: 'Household' }).waitFor();
  });

  it('texts a group: the live preview, then the progress reaches COMPLETED over the WebSocket', async () => {
    await page.getByRole('link', { name: 'Send a text' }).click();
    await page.getByLabel('Message').fill('Choir practice moves to 7 pm on Thursday.');
    await page.getByLabel(/^Choir \(\d+\)$/).check();
    await page.getByLabel(/^Urgent/).check();
    const recipients = (await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM group_memberships WHERE group_id = ${x.groupIds[0]!}`)[0]!.n;
    await page.getByTestId('recipients').filter({ hasText: `${recipients} of ${recipients}` }).waitFor();
    expect(await page.getByTestId('segments').textContent()).toContain('1 segment (GSM7');
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.getByRole('button', { name: `Send to ${recipients} people` }).click();
    await page.getByRole('heading', { name: 'Text progress' }).waitFor();
    await page.getByTestId('message-status').filter({ hasText: 'Completed' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('count-delivered').textContent()).toBe(String(recipients));
    expect(await page.getByRole('status').textContent()).toContain('(live)');
    expect(sockets).toEqual([`${s.url.replace(/^http/, 'ws')}/graphql`]);
    const [m] = await s.database.sql<{ status: string }[]>`SELECT status FROM messages WHERE church_id = ${x.churchId} ORDER BY id DESC LIMIT 1`;
    expect(m!.status).toBe('completed');
  });

  it('a page of an origin not in CORS_ORIGINS cannot read /graphql with the cookie nor open a socket; a listed one can', async () => {
    const other = await context.newPage();
    try {
      await other.goto(`${foreignOrigin}/`);
      expect(await other.evaluate(() => (globalThis as unknown as { probe(): Promise<unknown> }).probe())).toEqual({ fetch: 'blocked', ws: 'refused' });
      await other.goto(`${allowedOrigin}/`);
      expect(await other.evaluate(() => (globalThis as unknown as { probe(): Promise<unknown> }).probe())).toEqual({ fetch: 'browser-owner@example.org', ws: 'open' });
    } finally {
      await other.close();
    }
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Steeple' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Steeple' }).waitFor();
  });

  it('sent every operation as a trusted-document hash, never its text: queries by GET, mutations by POST', () => {
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.filter((r) => r.text || !r.hash)).toEqual([]);
    expect(sent.some((r) => r.method === 'GET')).toBe(true);
    expect(sent.some((r) => r.method === 'POST')).toBe(true);
  });
});
