import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let a: SeededChurch;

beforeAll(async () => {
  s = await startTestServer('hardening');
  a = await seedChurch(s, { members: 5 });
});
afterAll(() => s?.close());

/** Runs an operation and returns the answer with the number of SQL statements it caused. */
async function run(query: string, variables: Record<string, unknown> = {}, headers?: Record<string, string>) {
  s.database.statements.reset();
  const r = await s.gql(query, variables, headers);
  return { r, sql: s.database.statements.count };
}

describe('limits, checked before any resolver runs', () => {
  it('a 20-level-deep query is rejected and runs no SQL', async () => {
    let inner = 'id';
    for (let i = 0; i < 9; i++) inner = `household { members { ${inner} } }`;
    const query = `query($id: ID!) { member(id: $id) { ${inner} } }`; // 1 + 18 + 1 = 20 levels
    const { r, sql } = await run(query, { id: String(a.memberIds[0]) });
    expect(r.status).toBe(400);
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', actual: 20, max: 12 });
    expect(sql).toBe(0);
  });

  it('a query at the depth limit still runs', async () => {
    let inner = 'id';
    for (let i = 0; i < 5; i++) inner = `household { members { ${inner} } }`;
    const { r } = await run(`query($id: ID!) { member(id: $id) { ${inner} } }`, { id: String(a.memberIds[0]) });
    expect(r.errors).toBeUndefined();
  });

  it('500 aliases are rejected and run no SQL (the token limit already stops that many)', async () => {
    const fields = Array.from({ length: 500 }, (_, i) => `m${i}: member(id: $id) { id }`).join(' ');
    const { r, sql } = await run(`query($id: ID!) { ${fields} }`, { id: String(a.memberIds[0]) });
    expect(r.status).toBe(400);
    expect(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']).toContain(r.errors![0]!.extensions!.code);
    expect(r.data ?? null).toBeNull();
    expect(sql).toBe(0);
  });

  it('aliases over the alias limit are rejected even in a short document', async () => {
    const fields = Array.from({ length: 100 }, (_, i) => `m${i}: member(id: $id) { id }`).join(' ');
    const { r, sql } = await run(`query($id: ID!) { ${fields} }`, { id: String(a.memberIds[0]) });
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases', actual: 100, max: 30 });
    expect(sql).toBe(0);
  });

  it('first: 100000 is rejected, as a literal or a variable, and runs no SQL', async () => {
    const literal = await run(`query($c: ID!) { members(churchId: $c, first: 100000) { totalCount } }`, { c: String(a.churchId) });
    expect(literal.r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first', path: 'members' });
    expect(literal.sql).toBe(0);
    const variable = await run(`query($c: ID!, $n: Int) { church(id: $c) { groups(first: 5) { nodes { members(first: $n) { totalCount } } } } }`, {
      c: String(a.churchId),
      n: 100000,
    });
    expect(variable.r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first', path: 'church.groups.nodes.members' });
    expect(variable.sql).toBe(0);
  });

  it('nested page sizes multiply into the cost', async () => {
    const query = `{ churches(first: 100) { nodes { members(first: 100) { nodes { household { members { groups { members(first: 100) { totalCount } } } } } } } } }`;
    const { r, sql } = await run(query);
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost' });
    expect(r.errors![0]!.extensions!.actual as number).toBeGreaterThan(s.config.graphql.maxCost);
    expect(sql).toBe(0);
    // the directory page the app asks for is well inside the budget
    const page = await run(`query($c: ID!) { members(churchId: $c, first: 100) { nodes { household { name } groups { name } church { name } } } }`, { c: String(a.churchId) });
    expect(page.r.errors).toBeUndefined();
  });

  it('a document over the token limit is refused at parse time', async () => {
    const fields = Array.from({ length: 6000 }, () => '__typename').join(' ');
    const { r, sql } = await run(`{ ${fields} }`);
    expect(r.errors![0]!.extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(r.errors![0]!.message).toMatch(/more th\w+ 5000 tokens/i);
    expect(sql).toBe(0);
  });

  it('batched requests are refused', async () => {
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...s.adminHeaders },
      body: JSON.stringify([{ query: '{ me { user { id } } }' }, { query: '{ me { user { id } } }' }]),
    });
    expect(res.status).toBe(400);
  });

  it('CSRF prevention: a simple (non-preflighted) request is refused', async () => {
    const res = await fetch(`${s.url}/graphql?query=${encodeURIComponent('{ me { user { id } } }')}`, { headers: s.adminHeaders });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/i);
  });
});

describe('errors', () => {
  it('a database failure reaches the client masked (no SQL, no stack) with a request id', async () => {
    await s.database.sql`ALTER TABLE households RENAME TO households_away`;
    try {
      const r = await s.gql(`query($id: ID!) { member(id: $id) { id household { name } } }`, { id: String(a.memberIds[1]) }, { ...s.adminHeaders, 'x-request-id': 'req-masked-1' });
      const e = r.errors![0]!;
      expect(e.message).toBe('Internal server error');
      expect(e.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-masked-1' });
      const text = JSON.stringify(r);
      expect(text).not.toMatch(/households|select|relation|stack|at /i);
      expect(r.headers.get('x-request-id')).toBe('req-masked-1');
    } finally {
      await s.database.sql`ALTER TABLE households_away RENAME TO households`;
    }
  });
});

describe('production mode', () => {
  let p: TestServer;
  beforeAll(async () => {
    p = await startTestServer('hardening-prod', { NODE_ENV: 'production', COOKIE_SECURE: 'false' });
  });
  afterAll(() => p?.close());

  it('refuses introspection', async () => {
    const r = await p.gql('{ __schema { types { name } } }');
    expect(r.errors![0]!.message).toMatch(/introspection/i);
    expect(r.data ?? null).toBeNull();
  });

  it('gives no "did you mean" suggestions', async () => {
    const r = await p.gql('{ membr(id: 1) { id } }');
    expect(r.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.errors![0]!.message).not.toMatch(/did you mean/i);
    const dev = await s.gql('{ membr(id: 1) { id } }');
    expect(dev.errors![0]!.message).toMatch(/did you mean/i);
  });

  it('serves no sandbox', async () => {
    const res = await fetch(`${p.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await res.text()).not.toMatch(/sandbox/i);
  });
});
