import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256Hex, TrustedDocuments } from '../src/graphql/trusted-documents.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startPeer, type PeerServer } from './helpers/peer.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe } from './helpers/ws.js';

// Issue 17 item 2: the app's operations by hash (a manifest as codegen's client preset emits it),
// over POST and GET; Apollo's APQ for the rest (apq) or nothing else at all (only); the response
// cache keyed by the text that runs, never by a claimed hash.
const MEMBERS = 'query TdMembers($c: ID!) { members(churchId: $c, first: 2) { totalCount nodes { firstName } } }';
const ME = 'query TdMe { me { user { email } } }';
const PROGRESS = 'subscription TdProgress($m: ID!) { messageProgress(messageId: $m) { status } }';
const manifest = Object.fromEntries([MEMBERS, ME, PROGRESS].map((t) => [sha256Hex(t), t]));
const pq = (text: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256Hex(text) } });

let s: TestServer;
let only: PeerServer;
let a: SeededChurch;
let b: SeededChurch;
let staffA: string;
let staffB: string;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'steeple-td-'));
  const file = path.join(dir, 'persisted-documents.json');
  writeFileSync(file, JSON.stringify(manifest));
  s = await startTestServer('trusted-docs', { TRUSTED_DOCUMENTS_MANIFEST: file });
  only = await startPeer(s, (c) => ({ ...c, trustedDocuments: { mode: 'only', manifest: file } }));
  a = await seedChurch(s, { members: 3, name: 'Alpha' });
  b = await seedChurch(s, { members: 5, name: 'Beta' });
  staffA = (await s.userWith('td-a@example.org', [[a.churchId, 'staff']])).headers.cookie!;
  staffB = (await s.userWith('td-b@example.org', [[b.churchId, 'staff']])).headers.cookie!;
});
afterAll(async () => {
  await only?.close();
  await s?.close();
});

type Body = { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
async function post(url: string, body: Record<string, unknown>, cookie?: string) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
  return { res, body: (await res.json()) as Body };
}
async function get(url: string, params: Record<string, unknown>, headers: Record<string, string> = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) q.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const res = await fetch(`${url}/graphql?${q}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
  return { res, body: (await res.json()) as Body };
}

describe('trusted documents (TRUSTED_DOCUMENTS=apq, the default)', () => {
  it('a manifest hash runs its document, over POST and over GET', async () => {
    const viaPost = await post(s.url, { extensions: pq(MEMBERS), variables: { c: String(a.churchId) } }, staffA);
    expect(viaPost.body.errors).toBeUndefined();
    expect(viaPost.body.data.members.totalCount).toBe(3);
    const viaGet = await get(s.url, { extensions: pq(ME), operationName: 'TdMe' }, { cookie: staffA });
    expect(viaGet.res.status).toBe(200);
    expect(viaGet.body.data.me.user.email).toBe('td-a@example.org');
  });

  it('the response cache keys the text that runs: hash and full text share an entry, viewers of other access never do', async () => {
    const peek = vi.spyOn(s.deps.cache!, 'peek');
    const hits = async () => {
      const r = await Promise.all(peek.mock.results.map((x) => x.value as Promise<unknown>));
      peek.mockClear();
      return r.map((v) => (v ? 'hit' : 'miss'));
    };
    const vars = { c: String(b.churchId) };
    const text = await post(s.url, { query: MEMBERS, variables: vars }, staffB);
    expect(text.body.data.members.totalCount).toBe(5);
    const byHash = await get(s.url, { extensions: pq(MEMBERS), variables: vars }, { cookie: staffB });
    expect(byHash.body).toEqual(text.body);
    expect(await hits()).toEqual(['miss', 'hit']);
    // church A's staff asking for church B by the same hash: a key of their own, and refused
    const other = await get(s.url, { extensions: pq(MEMBERS), variables: vars }, { cookie: staffA });
    expect(await hits()).toEqual(['miss']);
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(other.body.errors?.[0]?.extensions?.code);
    expect(JSON.stringify(other.body)).not.toContain('"totalCount":5');
    peek.mockRestore();
  });

  it("a hash with some other text is refused, not run or cached under the hash's name", async () => {
    const r = await post(s.url, { query: ME, extensions: pq(MEMBERS), variables: { c: String(a.churchId) } }, staffA);
    expect(r.res.status).toBe(400);
    expect(r.body.errors?.[0]?.message).toBe('provided sha does not match query');
    expect(r.body.data).toBeUndefined();
  });

  it("another hash is Apollo's APQ: not found, registered with its text once, then served by hash (cache included)", async () => {
    const text = 'query TdOwn { me { user { name } } }';
    const first = await post(s.url, { extensions: pq(text) }, staffA);
    expect(first.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await post(s.url, { query: text, extensions: pq(text) }, staffA);
    expect(register.body.data.me.user.name).toBe('td-a@example.org');
    const again = await get(s.url, { extensions: pq(text) }, { cookie: staffA });
    expect(again.body).toEqual(register.body);
    // full text is accepted as ever
    expect((await post(s.url, { query: 'query { __typename }' })).body.data).toEqual({ __typename: 'Query' });
  });

  it('GET runs queries only (a mutation by GET is refused unrun), and only with a preflight header (CSRF)', async () => {
    const m = await get(s.url, { query: 'mutation { logout }' }, { cookie: staffA });
    expect(m.res.status).toBe(405);
    expect((await s.gql(ME, {}, { cookie: staffA })).data.me).not.toBeNull(); // still signed in
    const simple = await fetch(`${s.url}/graphql?${new URLSearchParams({ extensions: JSON.stringify(pq(ME)) })}`, { headers: { cookie: staffA } });
    expect(simple.status).toBe(400);
    expect(await simple.text()).not.toContain('td-a@example.org');
  });

  it("Cache-Control: private for a viewer's answer, no-store for everyone's", async () => {
    const mine = await get(s.url, { extensions: pq(ME) }, { cookie: staffA });
    expect(mine.res.headers.get('cache-control')).toBe('private, no-store');
    const cached = await get(s.url, { extensions: pq(MEMBERS), variables: { c: String(a.churchId) } }, { cookie: staffA });
    expect(cached.res.headers.get('cache-control')).toBe('private, no-store');
    const anonymous = await get(s.url, { extensions: pq(ME) });
    expect(anonymous.body.data.me).toBeNull();
    expect(anonymous.res.headers.get('cache-control')).toBe('no-store');
    const viaPost = await post(s.url, { extensions: pq(ME) }, staffA);
    expect(viaPost.res.headers.get('cache-control')).toBe('private, no-store');
  });
});

describe('TRUSTED_DOCUMENTS=only: the manifest is an allow-list', () => {
  it('manifest documents run, by hash or by their exact text', async () => {
    expect((await post(only.url, { extensions: pq(ME) }, staffA)).body.data.me.user.email).toBe('td-a@example.org');
    expect((await post(only.url, { query: ME }, staffA)).body.data.me.user.email).toBe('td-a@example.org');
    expect((await get(only.url, { extensions: pq(MEMBERS), variables: { c: String(a.churchId) } }, { cookie: staffA })).body.data.members.totalCount).toBe(3);
  });

  it('anything else is refused with PERSISTED_QUERY_NOT_ALLOWED, before it is parsed or run', async () => {
    for (const body of [
      { query: 'query { me { user { email } } }' },
      { query: 'mutation { logout }' },
      { extensions: pq('query Other { __typename }') },
      { query: 'query Other { __typename }', extensions: pq('query Other { __typename }') },
      { extensions: { persistedQuery: { version: 1, sha256Hash: 'nope' } } },
    ]) {
      const r = await post(only.url, body, staffA);
      expect(r.res.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
      expect(r.body.data).toBeUndefined();
    }
    expect((await s.gql(ME, {}, { cookie: staffA })).data.me).not.toBeNull(); // the logout did not run
    const g = await get(only.url, { query: '{ __typename }' });
    expect(g.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    // parameters that do not read are refused the same way
    const garbled = await fetch(`${only.url}/graphql?query=${encodeURIComponent('{ __typename }')}&extensions=%7Bnot-json`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(garbled.status).toBe(400);
    expect(((await garbled.json()) as Body).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
  });

  it('subscriptions over the WebSocket too', async () => {
    const refused = await subscribe(only.url, 'subscription { messageProgress(messageId: "1") { status } }', {}, { headers: { cookie: staffA } });
    expect(refused.errors[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    const known = await subscribe(only.url, PROGRESS, { m: '999999' }, { headers: { cookie: staffA } });
    expect(known.errors[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('the manifest', () => {
  it('must be SHA-256 (bare or as codegen prefixes it): a wrong hash stops the start', () => {
    expect(new TrustedDocuments('apq', { [`sha256:${sha256Hex(ME)}`]: ME }).document(sha256Hex(ME))).toBe(ME);
    expect(() => new TrustedDocuments('apq', { [sha256Hex('x')]: 'query { __typename }' })).toThrow(/SHA-256/);
    expect(() => TrustedDocuments.load('only', '/nonexistent/manifest.json')).toThrow(/needs the manifest/);
    expect(TrustedDocuments.load('apq', '/nonexistent/manifest.json').size).toBe(0);
  });
});
