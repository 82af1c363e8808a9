import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

// Issue 10, item 10: the alias limit skipped __typename and introspection fields, so 1,600 aliased
// __typename passed and 250 aliased __schema answered megabytes to a stranger.
let s: TestServer;
const anonymous = {};

beforeAll(async () => {
  // development: introspection on, as the sandbox sees it
  s = await startTestServer('limits-aliases', { NODE_ENV: 'development' });
});
afterAll(() => s?.close());

async function post(query: string, headers: Record<string, string>) {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const text = await res.text();
  return { status: res.status, bytes: text.length, body: JSON.parse(text) as { data?: any; errors?: Array<{ extensions: Record<string, unknown> }> } };
}

describe('every alias and field counts', () => {
  it('1,600 aliased __typename are refused by the alias limit', async () => {
    const query = `{ ${Array.from({ length: 1600 }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    const r = await post(query, anonymous);
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases', actual: 1600, max: 30 });
    expect(r.body.data ?? null).toBeNull();
  });

  it('250 aliased __schema are refused before anything is answered', async () => {
    const query = `{ ${Array.from({ length: 250 }, (_, i) => `s${i}: __schema { types { name fields { name } } }`).join(' ')} }`;
    const r = await post(query, anonymous);
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases', actual: 250 });
    expect(r.bytes).toBeLessThan(2000);
  });

  it('an anonymous caller gets one __schema / __type per operation; a signed-in one more', async () => {
    const two = '{ a: __schema { queryType { name } } b: __type(name: "Member") { name } }';
    const r = await post(two, anonymous);
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'introspection', actual: 2, max: 1 });
    // hidden in a fragment counts the same
    const viaFragment = await post('query { ...F a: __type(name: "Church") { name } } fragment F on Query { __schema { queryType { name } } }', anonymous);
    expect(viaFragment.body.errors![0]!.extensions).toMatchObject({ limit: 'introspection', actual: 2 });
    const signedIn = await post(two, s.adminHeaders);
    expect(signedIn.body.errors).toBeUndefined();
    expect(signedIn.body.data).toEqual({ a: { queryType: { name: 'Query' } }, b: { name: 'Member' } });
  });

  it("the sandbox's standard introspection query still works anonymously", async () => {
    const r = await post(getIntrospectionQuery(), anonymous);
    expect(r.body.errors).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.body.data.__schema.types.length).toBeGreaterThan(20);
  });

  it('a handful of __typename still pass', async () => {
    const r = await post('{ a: __typename b: __typename __typename }', anonymous);
    expect(r.body).toEqual({ data: { a: 'Query', b: 'Query', __typename: 'Query' } });
  });
});
