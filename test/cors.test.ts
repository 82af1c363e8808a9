import http from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_APP_ORIGIN, loadConfig } from '../src/config/env.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startPeer, type PeerServer } from './helpers/peer.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Issue 17 item 1: CORS on /graphql from CORS_ORIGINS (the list the WebSocket check uses), on the
// lane and on Express alike, with a cached preflight; Apollo's CSRF prevention stays on.
const APP = 'https://app.example.org';
let s: TestServer;
let production: PeerServer;
let x: SeededChurch;
let cookie: string;

beforeAll(async () => {
  s = await startTestServer('cors', { CORS_ORIGINS: APP, CORS_MAX_AGE_S: '900' });
  production = await startPeer(s, (c) => ({ ...c, isProduction: true, http: { ...c.http, corsOrigins: [] } }));
  x = await seedChurch(s, { members: 3 });
  await s.userWith('cors-staff@example.org', [[x.churchId, 'staff']]);
  cookie = (await s.login('cors-staff@example.org')).cookie!;
});
afterAll(async () => {
  await production?.close();
  await s?.close();
});

type Raw = { status: number; headers: http.IncomingHttpHeaders; text: string };
/** A raw request: length-framed (the lane) or chunked (Express) as the test chooses. */
function raw(url: string, method: string, headers: Record<string, string>, body?: string, chunked = false): Promise<Raw> {
  const u = new URL(`${url}/graphql`);
  return new Promise((resolve, reject) => {
    const h = { ...headers, ...(body !== undefined && !chunked ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (body !== undefined && chunked) {
      req.write(body.slice(0, 3));
      req.end(body.slice(3));
    } else req.end(body);
  });
}

const QUERY = JSON.stringify({ query: 'query { me { user { email } } }' });
const json = { 'content-type': 'application/json' };

describe('CORS on /graphql', () => {
  it('an allowed origin gets the credentialed headers, on the lane and through Express the same', async () => {
    for (const chunked of [false, true]) {
      const r = await raw(s.url, 'POST', { ...json, origin: APP, cookie }, QUERY, chunked);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text).data.me.user.email).toBe('cors-staff@example.org');
      expect(r.headers['access-control-allow-origin'], `chunked=${chunked}`).toBe(APP);
      expect(r.headers['access-control-allow-credentials']).toBe('true');
      expect(r.headers['access-control-expose-headers']).toContain('x-request-id');
      expect(r.headers.vary).toBe('Origin');
    }
  });

  it('another origin gets no CORS headers (the browser keeps the answer from the page); Vary: Origin always', async () => {
    for (const chunked of [false, true]) {
      const r = await raw(s.url, 'POST', { ...json, origin: 'https://evil.example' }, QUERY, chunked);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(r.headers['access-control-allow-credentials']).toBeUndefined();
      expect(r.headers.vary).toBe('Origin');
    }
    // a look-alike is not the origin
    const r = await raw(s.url, 'POST', { ...json, origin: `${APP}.evil.example` }, QUERY);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    const none = await raw(s.url, 'POST', json, QUERY);
    expect(none.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('error answers carry the headers too, so the app can read them (bad JSON on the lane, too large through Express)', async () => {
    const bad = await raw(s.url, 'POST', { ...json, origin: APP }, '{"query": ');
    expect(bad.status).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe(APP);
    const big = await raw(s.url, 'POST', { ...json, origin: APP }, JSON.stringify({ query: 'x'.repeat(5 * 2 ** 20) }), true);
    expect(big.status).toBe(413);
    expect(big.headers['access-control-allow-origin']).toBe(APP);
  });

  it('a preflight is answered 204 with what may be sent and how long to remember it; another origin 403', async () => {
    const pre = { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, apollo-require-preflight' };
    const ok = await raw(s.url, 'OPTIONS', pre);
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(APP);
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    expect(ok.headers['access-control-max-age']).toBe('900');
    expect(ok.headers['access-control-allow-methods']).toBe('GET, POST');
    for (const h of ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name']) expect(ok.headers['access-control-allow-headers']).toContain(h);
    expect(ok.text).toBe('');
    const evil = await raw(s.url, 'OPTIONS', { ...pre, origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(evil.headers['access-control-max-age']).toBeUndefined();
  });

  it("Apollo's CSRF prevention is on: a simple cross-site request (no preflight) is refused before it runs", async () => {
    // a form-encoded POST and a GET without a preflight header are what a foreign page can send unasked
    const form = await raw(s.url, 'POST', { 'content-type': 'text/plain', origin: 'https://evil.example', cookie }, QUERY);
    expect(form.status).toBe(400);
    expect(form.text).toMatch(/CSRF|preflight/i);
    const q = encodeURIComponent('query { me { user { email } } }');
    const simpleGet = await rawPath(`/graphql?query=${q}`, { origin: APP, cookie });
    expect(simpleGet.status).toBe(400);
    expect(simpleGet.text).not.toContain('cors-staff@example.org');
    const preflightedGet = await rawPath(`/graphql?query=${q}`, { origin: APP, cookie, 'apollo-require-preflight': 'true' });
    expect(preflightedGet.status).toBe(200);
    expect(preflightedGet.text).toContain('cors-staff@example.org');
    expect(preflightedGet.headers['access-control-allow-origin']).toBe(APP);
  });

  it('the same list decides which pages may open a WebSocket', async () => {
    expect(await upgrade(s.url, APP)).toBe('open');
    expect(await upgrade(s.url, 'https://evil.example')).toBe(403);
  });

  it('production: no origin at all unless listed (the API’s own included)', async () => {
    const r = await raw(production.url, 'POST', { ...json, origin: production.url }, QUERY);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await raw(production.url, 'OPTIONS', { origin: DEV_APP_ORIGIN, 'access-control-request-method': 'POST' });
    expect(pre.status).toBe(403);
  });

  it('CORS_ORIGINS unset: the dev app in development, nothing in production or test; an empty value means none', () => {
    expect(loadConfig({}).http.corsOrigins).toEqual([DEV_APP_ORIGIN]);
    expect(loadConfig({ NODE_ENV: 'production' }).http.corsOrigins).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'test' }).http.corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: '' }).http.corsOrigins).toEqual([]);
    expect(loadConfig({}).http.corsMaxAgeS).toBe(600);
  });
});

function rawPath(pathAndQuery: string, headers: Record<string, string>): Promise<Raw> {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: pathAndQuery, method: 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgrade(url: string, origin: string): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers: { origin } });
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
