import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { webApp, WEB_APP_PATH } from '../src/http/web-app.js';

// The built reference app at /app (src/http/web-app.ts): hashed assets cached for good, the page
// never, and every in-app path answered with the page (the app routes in the browser).
let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'steeple-web-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  const app = express();
  app.use(WEB_APP_PATH, webApp(dir));
  app.use((_req, res) => void res.status(404).send('fell through'));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the web app at /app', () => {
  it('serves the page at /app/ and at every in-app path, never cached', async () => {
    for (const p of ['/app/', '/app/members/12', '/app/compose']) {
      const r = await fetch(`${url}${p}`);
      expect(r.status, p).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/text\/html/);
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(await r.text()).toContain('id="root"');
    }
  });

  it('serves hashed assets for a year; a missing asset is a 404, not the page', async () => {
    const js = await fetch(`${url}/app/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await fetch(`${url}/app/assets/gone.js`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('fell through');
    expect((await fetch(`${url}/app/`, { method: 'POST' })).status).toBe(404);
  });

  it('not built: says how to build it', async () => {
    rmSync(path.join(dir, 'index.html'));
    const r = await fetch(`${url}/app/`);
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('npm run web:build');
  });

  it('WEB_APP: on outside production, off in production, as set otherwise', () => {
    expect(loadConfig({}).http.webApp).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).http.webApp).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', WEB_APP: 'true' }).http.webApp).toBe(true);
    expect(loadConfig({ WEB_APP: 'false' }).http.webApp).toBe(false);
  });
});
