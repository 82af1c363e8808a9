import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type GqlResult, type TestServer } from './helpers/server.js';

// Issue 10, item 7: the client's mistakes were logged at error level with stacks, and a body that
// was not JSON (or too large) answered express's HTML page and printed a stack to stderr.
let s: TestServer;
let c: SeededChurch;
const logged: Array<Record<string, any>> = [];
const stderr = vi.spyOn(console, 'error');

beforeAll(async () => {
  // development: express would print stacks and send them in its HTML error page
  s = await startTestServer('error_logging', { NODE_ENV: 'development', LOG_LEVEL: 'info' }, {
    logDestination: { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, any>) },
  });
  c = await seedChurch(s, { members: 2 });
});
afterAll(() => s?.close());
afterEach(() => {
  logged.length = 0;
  stderr.mockClear();
});

/** The lines logged while fn ran (the request's own, identified by its request id). */
async function linesOf<T>(fn: (requestId: string) => Promise<T>) {
  const requestId = `req-${Math.random().toString(36).slice(2)}`;
  logged.length = 0;
  const result = await fn(requestId);
  await new Promise((r) => setTimeout(r, 20)); // pino writes synchronously; the response may come first
  return { result, lines: logged.filter((l) => l.requestId === requestId) };
}

const errorLevel = (lines: Array<Record<string, any>>) => lines.filter((l) => l.level >= 50);
const withStack = (lines: Array<Record<string, any>>) => lines.filter((l) => JSON.stringify(l).includes('    at '));

describe('client mistakes are info-level facts without stacks', () => {
  const cases: Array<[string, string, Record<string, unknown>, string, 'anonymous' | 'viewer' | 'admin']> = [
    ['a parse error', '{ members(', {}, 'GRAPHQL_PARSE_FAILED', 'admin'],
    ['a validation error', '{ noSuchField }', {}, 'GRAPHQL_VALIDATION_FAILED', 'admin'],
    ['a variable that does not coerce', 'query($n: Int) { churches(first: $n) { totalCount } }', { n: 'many' }, 'BAD_USER_INPUT', 'admin'],
    ['a variable that does not coerce, on a cached query', 'query($c: ID!, $n: Int) { members(churchId: $c, first: $n) { totalCount } }', { n: 'many' }, 'BAD_USER_INPUT', 'admin'],
    ['BAD_USER_INPUT from a resolver', '{ member(id: "abc") { id } }', {}, 'BAD_USER_INPUT', 'admin'],
    ['NOT_FOUND', '{ member(id: "987654") { id } }', {}, 'NOT_FOUND', 'admin'],
    ['FORBIDDEN', 'mutation($c: ID!) { createMember(input: { churchId: $c, firstName: "No", lastName: "Way" }) { id } }', {}, 'FORBIDDEN', 'viewer'],
    ['UNAUTHENTICATED', '{ churches { totalCount } }', {}, 'UNAUTHENTICATED', 'anonymous'],
  ];
  let viewer: Record<string, string>;
  beforeAll(async () => {
    viewer = (await s.userWith('viewer@error-logging.test', [[c.churchId, 'viewer']])).headers;
  });

  for (const [what, query, vars, code, who] of cases) {
    it(`${what}: one info line, no stack, ${code} to the client`, async () => {
      const { result, lines } = await linesOf<GqlResult<unknown>>((id) =>
        s.gql(query, { c: String(c.churchId), ...vars }, { 'x-request-id': id, ...(who === 'admin' ? s.adminHeaders : who === 'viewer' ? viewer : {}) }),
      );
      expect(result.errors?.[0]?.extensions?.code).toBe(code);
      expect(errorLevel(lines), JSON.stringify(lines)).toEqual([]);
      expect(withStack(lines)).toEqual([]);
      const fact = lines.filter((l) => l.msg === 'client error');
      expect(fact, JSON.stringify(lines)).toHaveLength(1);
      expect(fact[0]).toMatchObject({ level: 30, code });
      expect(stderr).not.toHaveBeenCalled();
    });
  }

  it('an unexpected error is still logged at error level with its stack, masked for the client', async () => {
    await s.database.sql`ALTER TABLE groups RENAME TO groups_away`;
    try {
      const { result, lines } = await linesOf<GqlResult<unknown>>((id) =>
        s.gql('query($c: ID!) { church(id: $c) { groups(first: 5) { totalCount } } }', { c: String(c.churchId) }, { 'x-request-id': id, ...s.adminHeaders }),
      );
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
      const errors = errorLevel(lines);
      expect(errors.length, JSON.stringify(lines)).toBeGreaterThanOrEqual(1);
      expect(errors[0]!.msg).toBe('internal error');
      expect(errors[0]!.err.stack).toMatch(/\n\s+at /);
    } finally {
      await s.database.sql`ALTER TABLE groups_away RENAME TO groups`;
    }
  });
});

describe('a body that never became a request', () => {
  const post = (path: string, body: string, contentType: string, id: string) =>
    // (the Twilio webhooks answer their own body errors: src/http/twilio-input.ts)
    fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': contentType, 'x-request-id': id, accept: 'text/html,application/json' }, body });

  const checks: Array<[string, string, () => string, string, number, string]> = [
    ['malformed JSON', '/graphql', () => '{"query": "{ __typename ', 'application/json', 400, 'BAD_REQUEST'],
    ['a JSON body over the limit', '/graphql', () => JSON.stringify({ query: `{ __typename }`, pad: 'x'.repeat(5 * 1024 * 1024) }), 'application/json', 413, 'PAYLOAD_TOO_LARGE'],
    ['a body in a charset nobody reads', '/graphql', () => '{"query":"{ __typename }"}', 'application/json; charset=klingon', 415, 'BAD_REQUEST'],
  ];

  for (const [what, path, body, contentType, status, code] of checks) {
    it(`${what}: ${status} with a GraphQL-shaped ${code}, one line, no stack`, async () => {
      const { result, lines } = await linesOf(async (id) => {
        const res = await post(path, body(), contentType, id);
        return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
      });
      expect(result.status).toBe(status);
      expect(result.type).toMatch(/application\/json/);
      expect(result.text).not.toMatch(/<html|<pre|\n\s+at /i);
      expect(JSON.parse(result.text)).toEqual({ errors: [{ message: expect.any(String), extensions: { code } }] });
      expect(lines, JSON.stringify(logged)).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 30, code, status });
      expect(withStack(lines)).toEqual([]);
      expect(stderr).not.toHaveBeenCalled();
    });
  }
});
