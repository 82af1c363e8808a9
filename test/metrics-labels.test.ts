import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsText } from '../src/observability/metrics.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Issue 10, item 5: operation-name labels were claimed by anyone, so 200 anonymous junk names used
// them up and real operations counted as `other`; and /metrics was public on the API port.
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer('metrics_labels');
});
afterAll(() => s?.close());

const series = async () => (await metricsText()).text;

describe('operation labels', () => {
  it('250 anonymous junk operations and 50 invalid signed-in ones claim no label; a real one still does', async () => {
    for (let i = 0; i < 250; i++) {
      const r = await s.gql(`query Junk${i} { __typename }`, {}, {});
      expect(r.data).toEqual({ __typename: 'Query' }); // they ran: anonymous is what kept them out
    }
    for (let i = 0; i < 50; i++) {
      const r = await s.gql(`query Invalid${i} { nope }`);
      expect(r.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    const tooDeep = await s.gql(`query TooMany { ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(tooDeep.errors![0]!.extensions).toMatchObject({ limit: 'aliases' });

    const real = await s.gql('query RealOperation { me { user { id } } }');
    expect(real.errors).toBeUndefined();
    const text = await series();
    expect(text).toContain('steeple_graphql_request_duration_seconds_count{operation="RealOperation",type="query"} 1');
    expect(text).not.toMatch(/operation="(Junk|Invalid)\d+"/);
    expect(text).not.toContain('operation="TooMany"');
    expect(text).toMatch(/steeple_graphql_request_duration_seconds_count\{operation="other",type="query"\} 251\n/);
  });
});

describe('/metrics on the API port', () => {
  it('is not there without METRICS_TOKEN', async () => {
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toMatch(/steeple_|nodejs_/);
  });

  it('answers only the bearer of METRICS_TOKEN when one is set', async () => {
    const token = 'metrics-labels-test-token-0123456789';
    const p = await startTestServer('metrics_token', { METRICS_TOKEN: token });
    try {
      expect((await fetch(`${p.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${p.url}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
      const ok = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('steeple_http_requests_total{route="/metrics",status="401"} 2');
    } finally {
      await p.close();
    }
  });
});
