import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../src/config/env.js';
import { allowedOrigins } from '../src/http/origin.js';
import { startPeer, type PeerServer } from './helpers/peer.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Issue 10 item 4: the WebSocket upgrade checks Origin (a cross-site page must not subscribe as the user). */
let s: TestServer;
let withList: PeerServer;
let production: PeerServer;

beforeAll(async () => {
  s = await startTestServer('ws-origin');
  withList = await startPeer(s, (c) => ({ ...c, http: { ...c.http, corsOrigins: ['https://app.example.org'] } }));
  production = await startPeer(s, (c) => ({ ...c, isProduction: true, http: { ...c.http, corsOrigins: ['https://app.example.org'] } }));
});
afterAll(async () => {
  await production?.close();
  await withList?.close();
  await s?.close();
});

/** 'open' if the upgrade succeeded, else the HTTP status that refused it. */
function upgrade(httpUrl: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => {});
  });
}

describe('WebSocket Origin check', () => {
  it('a cross-site page is refused with 403, even (especially) with the user cookie', async () => {
    expect(await upgrade(s.url, { origin: 'https://evil.example', ...s.adminHeaders })).toBe(403);
    expect(await upgrade(s.url, { origin: 'null' })).toBe(403);
    expect(await upgrade(s.url, { origin: `${s.url}.evil.example` })).toBe(403);
  });

  it("development/test: the API's own origin (PUBLIC_URL, localhost on PORT) is allowed; no Origin (not a browser) too", async () => {
    expect(await upgrade(s.url, { origin: s.url, ...s.adminHeaders })).toBe('open');
    expect(await upgrade(s.url, { origin: `http://localhost:${s.config.http.port}` })).toBe('open');
    expect(await upgrade(s.url, {})).toBe('open');
  });

  it('CORS_ORIGINS adds exact origins', async () => {
    expect(await upgrade(withList.url, { origin: 'https://app.example.org' })).toBe('open');
    expect(await upgrade(withList.url, { origin: 'https://other.example.org' })).toBe(403);
  });

  it('production allows only CORS_ORIGINS (none by default)', async () => {
    expect(await upgrade(production.url, { origin: 'https://app.example.org' })).toBe('open');
    expect(await upgrade(production.url, { origin: production.url })).toBe(403);
    expect(await upgrade(production.url, {})).toBe('open');
    expect([...allowedOrigins({ ...s.config, isProduction: true, http: { ...s.config.http, corsOrigins: [] } })]).toEqual([]);
  });

  it('CORS_ORIGINS is validated: every bad entry listed at once', () => {
    expect(loadConfig({ CORS_ORIGINS: ' https://App.Example.org , http://localhost:3000/' }).http.corsOrigins).toEqual([
      'https://app.example.org',
      'http://localhost:3000',
    ]);
    expect(loadConfig({ NODE_ENV: 'production' }).http.corsOrigins).toEqual([]);
    let err: unknown;
    try {
      loadConfig({ CORS_ORIGINS: 'https://ok.example.org,*,https://a.example.org/path,ftp://x.example.org' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.filter((p) => p.startsWith('CORS_ORIGINS'))).toHaveLength(3);
  });
});
