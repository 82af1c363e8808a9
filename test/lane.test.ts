import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequests } from '../src/observability/metrics.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// The /graphql lane (src/http/lane.ts): a JSON POST of known length goes to the cache door without
// Express's router and body-parser; everything else goes through Express. The answers must not
// tell the two apart.
let s: TestServer;
let x: SeededChurch;
let cookie: string;

beforeAll(async () => {
  s = await startTestServer('lane');
  x = await seedChurch(s, { members: 4 });
  await s.userWith('lane-staff@example.org', [[x.churchId, 'staff']]);
  cookie = (await s.login('lane-staff@example.org')).cookie!;
});
afterAll(async () => s?.close());

/** A raw request, so the framing (content-length or chunked) and the encoding are ours to choose. */
function raw(body: Buffer, headers: Record<string, string>, chunked: boolean): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const u = new URL(`${s.url}/graphql`);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', cookie, ...headers, ...(chunked ? {} : { 'content-length': String(body.length) }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (chunked) {
      // two writes without a length: Node sends Transfer-Encoding: chunked (Express reads it)
      req.write(body.subarray(0, 5));
      req.end(body.subarray(5));
    } else req.end(body);
  });
}

const graphqlCount = async () => (await httpRequests.get()).values.filter((v) => v.labels.route === '/graphql').reduce((n, v) => n + v.value, 0);

describe('the /graphql lane', () => {
  const q = (query: string, variables: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ query, variables }));
  const MEMBERS = `query L($c: ID!) { members(churchId: $c, first: 2) { totalCount nodes { firstName } } }`;

  it('answers as Express does: the same body and headers for a length-framed and a chunked request, each counted once', async () => {
    for (const query of [MEMBERS, '{ me { user { email } } }', 'query { members(churchId: "nope", first: 2) { totalCount } }']) {
      await raw(q(query, { c: String(x.churchId) }), {}, false); // a cacheable one is cached from here on
      const before = await graphqlCount();
      const viaLane = await raw(q(query, { c: String(x.churchId) }), {}, false);
      const viaExpress = await raw(q(query, { c: String(x.churchId) }), {}, true);
      expect(await graphqlCount()).toBe(before + 2);
      expect(viaLane.status).toBe(viaExpress.status);
      expect(JSON.parse(viaLane.text)).toEqual(JSON.parse(viaExpress.text));
      for (const h of ['content-type', 'cache-control']) expect(viaLane.headers[h], h).toEqual(viaExpress.headers[h]);
      expect(viaLane.headers['x-request-id']).toBeTruthy();
      expect(viaLane.headers['set-cookie']?.length).toBe(1);
    }
  });

  it('a gzip body goes through Express, which inflates it', async () => {
    const r = await raw(gzipSync(q(MEMBERS, { c: String(x.churchId) })), { 'content-encoding': 'gzip' }, false);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).data.members.totalCount).toBe(4);
  });

  it('JSON that is not an object or array is refused as express.json refuses it', async () => {
    for (const chunked of [false, true]) {
      const r = await raw(Buffer.from('"{ __typename }"'), {}, chunked);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text)).toEqual({ errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    }
  });

  it('an operation the door passes on (a batch) reaches Apollo with the body the lane parsed', async () => {
    const r = await raw(Buffer.from(JSON.stringify([{ query: '{ __typename }' }])), {}, false);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/batch/i);
  });
});
