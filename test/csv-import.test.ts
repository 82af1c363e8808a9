import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { customFields, tags } from '../src/db/schema/index.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;
let staff: Record<string, string>;
let viewer: Record<string, string>;
let fieldIds: Record<string, number>;

beforeAll(async () => {
  s = await startTestServer('csv_import', { LOG_LEVEL: 'error' });
  a = await seedChurch(s, { members: 10 });
  b = await seedChurch(s, { members: 5 });
  await s.grantAll();
  staff = (await s.userWith('staff-import@steeple.test', [[a.churchId, 'staff']])).headers;
  viewer = (await s.userWith('viewer-import@steeple.test', [[a.churchId, 'viewer']])).headers;
  const made = await s.database.db
    .insert(customFields)
    .values([
      { churchId: a.churchId, name: 'Baptism date', type: 'date', position: 1 },
      { churchId: a.churchId, name: 'T-shirt size', type: 'single_choice', choices: ['S', 'M', 'L', 'XL'], position: 2 },
      { churchId: a.churchId, name: 'Volunteer hours', type: 'number', position: 3 },
      { churchId: a.churchId, name: 'Background check', type: 'yes_no', position: 4 },
      { churchId: a.churchId, name: 'Gifts', type: 'multiple_choice', choices: ['Music', 'Teaching', 'Hospitality'], position: 5 },
      { churchId: a.churchId, name: 'Notes', type: 'text', position: 6 },
    ])
    .returning();
  fieldIds = Object.fromEntries(made.map((f) => [f.name, f.id]));
  await s.database.db.insert(tags).values({ churchId: a.churchId, name: 'Choir' });
}, 60_000);
afterAll(() => s?.close());

const base = () => s.url.replace(/\/graphql$/, '');

interface Sent {
  status: number;
  body: any;
}

/** POSTs a CSV body (a string, or a generator of chunks streamed with backpressure). */
function post(q: Record<string, string>, body: string | (() => Iterable<string>), headers: Record<string, string> = staff, contentType = 'text/csv'): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${base()}/import/members.csv?${new URLSearchParams(q)}`);
    const req = http.request(url, { method: 'POST', headers: { 'content-type': contentType, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode!, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode!, body: text });
        }
      });
    });
    req.on('error', reject);
    if (typeof body === 'string') {
      req.end(body);
      return;
    }
    const it = body()[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        const n = it.next();
        if (n.done) return req.end();
        if (!req.write(n.value)) return req.once('drain', pump);
      }
    };
    pump();
  });
}

const count = async (churchId: number, where = 'true') => {
  const [r] = await s.database.sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM members WHERE church_id = ${churchId} AND ${where}`);
  return r!.n;
};

describe('CSV import', () => {
  it('smoke', async () => {
    const r = await post({ churchId: String(a.churchId), dryRun: 'false' }, '\uFEFFFirst Name,last_name,E-mail,Tags\nAda,Lovelace,ada@example.org,Choir;Math\n');
    expect(r.body).toMatchObject({ applied: true, created: 1 });
    expect(await count(a.churchId, `email = 'ada@example.org'`)).toBe(1);
  });
});
