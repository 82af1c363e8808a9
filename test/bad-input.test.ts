import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError } from '../src/graphql/errors.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Issue 10.9, the examples the probe found: crafted cursors (ids past int4, impossible dates,
 * NUL), NUL and lone surrogates in names, search strings and import rows are BAD_USER_INPUT
 * naming the argument, on members, groups and messages. (test/hostile-input.test.ts generates
 * such values for every argument of the schema.)
 */

let s: TestServer;
let church: SeededChurch;
const cursor = (...keys: unknown[]) => Buffer.from(JSON.stringify(keys)).toString('base64url');

beforeAll(async () => {
  s = await startTestServer('badinput');
  church = await seedChurch(s, { members: 4 });
});

afterAll(async () => {
  await s?.close();
});

function expectBadInput(r: { errors?: Array<{ extensions?: Record<string, unknown> }> }, field: string) {
  expect(r.errors?.[0]?.extensions, JSON.stringify(r.errors)).toMatchObject({ code: 'BAD_USER_INPUT', field });
}

describe('crafted cursors', () => {
  const lists: Array<[string, string, string]> = [
    ['members', 'query($c: ID!, $a: String, $o: MemberOrderBy) { members(churchId: $c, after: $a, orderBy: $o) { nodes { id } } }', 'NAME'],
    ['groups', 'query($c: ID!, $a: String) { groups(churchId: $c, after: $a) { nodes { id } } }', 'GROUP'],
    ['households', 'query($c: ID!, $a: String) { households(churchId: $c, after: $a) { nodes { id } } }', 'HOUSEHOLD'],
    ['messages', 'query($c: ID!, $a: String) { messages(churchId: $c, after: $a) { nodes { id } } }', 'MESSAGE'],
  ];
  const bad: Record<string, unknown[][]> = {
    NAME: [['a', 'b', 2_147_483_648], ['a\u0000', 'b', 1], ['a', 'b\uD800', 1], ['a', 'b', -1]],
    GROUP: [['g', 2_147_483_648], ['g\u0000', 1]],
    HOUSEHOLD: [['h', 2 ** 53 - 1], ['\u0000', 1]],
    MESSAGE: [[2_147_483_648], [1e15]],
  };
  for (const [name, doc, tag] of lists) {
    it(`${name}: ids past int4, NUL and lone surrogates in keys`, async () => {
      for (const keys of bad[tag]!) {
        expectBadInput(await s.gql(doc, { c: String(church.churchId), a: cursor(tag, ...keys) }), 'after');
      }
    });
  }

  it('members ordered by JOINED: impossible dates', async () => {
    const doc = lists[0]![1];
    for (const d of ['9999-99-99', '2024-02-30', '0000-01-01', '2024-01-01\u0000']) {
      expectBadInput(await s.gql(doc, { c: String(church.churchId), a: cursor('JOINED', d, 1), o: 'JOINED' }), 'after');
    }
    // a real date and the -infinity of members without one still page
    for (const d of ['2015-01-15', '-infinity']) {
      const r = await s.gql(doc, { c: String(church.churchId), a: cursor('JOINED', d, 1), o: 'JOINED' });
      expect(r.errors).toBeUndefined();
    }
  });

  it("a group's members (a nested list)", async () => {
    const r = await s.gql('query($g: ID!, $a: String) { group(id: $g) { members(after: $a) { nodes { id } } } }', {
      g: String(church.groupIds[0]),
      a: cursor('NAME', 'a', 'b', 2_147_483_648),
    });
    expectBadInput(r, 'after');
  });
});

describe('text the database cannot hold', () => {
  const CREATE = 'mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }';
  it('NUL or a lone surrogate in a name, email or phone', async () => {
    const base = { churchId: String(church.churchId), firstName: 'Ann', lastName: 'Lee' };
    for (const [field, value] of [['firstName', 'A\u0000nn'], ['lastName', 'L\uDC00ee'], ['email', 'a\u0000@b.co'], ['phone', '+1312555\u00000100']] as const) {
      const r = await s.gql(CREATE, { i: { ...base, [field]: value } });
      expectBadInput(r, `input.${field}`);
      expect(r.errors?.[0]?.message).toMatch(/NUL|surrogate/);
    }
    const r = await s.gql('mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }', { i: { churchId: String(church.churchId), name: 'G\u0000' } });
    expectBadInput(r, 'input.name');
  });

  it('NUL in a search string', async () => {
    const r = await s.gql('query($c: ID!, $f: MemberFilter) { members(churchId: $c, filter: $f) { nodes { id } } }', { c: String(church.churchId), f: { search: 'ad\u0000a' } });
    expectBadInput(r, 'filter.search');
  });

  it('NUL in an import row is a row error; nothing is imported', async () => {
    const before = await s.database.sql`SELECT count(*)::int AS n FROM members`;
    const r = await s.gql('mutation($c: ID!, $rows: [ImportMemberRow!]!) { importMembers(churchId: $c, rows: $rows) { imported errors { row field message } } }', {
      c: String(church.churchId),
      rows: [{ firstName: 'Ok', lastName: 'Row' }, { firstName: 'Bad\u0000', lastName: 'Row', householdName: 'H\uD800' }],
    });
    expect(r.errors).toBeUndefined();
    expect(r.data.importMembers.imported).toBe(0);
    expect(r.data.importMembers.errors).toEqual([
      { row: 2, field: 'householdName', message: expect.stringContaining('surrogate') },
      { row: 2, field: 'firstName', message: expect.stringContaining('NUL') },
    ]);
    expect(await s.database.sql`SELECT count(*)::int AS n FROM members`).toEqual(before);
  });

  it('NUL in a message body', async () => {
    await s.database.sql`UPDATE churches SET sms_from_number = '+13125550166' WHERE id = ${church.churchId}`;
    const r = await s.gql('query($c: ID!, $b: String!, $m: [ID!]) { previewMessage(churchId: $c, body: $b, audience: { memberIds: $m }) { segments } }', {
      c: String(church.churchId),
      b: 'Hi\u0000',
      m: [String(church.memberIds[0])],
    });
    expectBadInput(r, 'body');
  });
});

describe('safety net (src/graphql/errors.ts)', () => {
  const format = formatError();
  const pg = (code: string) => Object.assign(new Error('db said no'), { code });

  it('a PostgreSQL data exception that escaped validation is BAD_USER_INPUT, not internal', () => {
    for (const code of ['22P02', '22003', '22008', '22007', '22021', '22P05']) {
      const error = new GraphQLError('x', { originalError: pg(code), path: ['members'] });
      const out = format({ message: 'x', extensions: {} }, error);
      expect(out.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'arguments' });
      expect(out.message).not.toContain('db said no');
    }
  });

  it('other database errors stay internal and masked', () => {
    const out = format({ message: 'x', extensions: {} }, new GraphQLError('x', { originalError: pg('42P01'), path: ['members'] }));
    expect(out).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it("graphql-js giving up after too many bad variables is the client's mistake", async () => {
    const r = await s.gql('query($c: ID!, $ids: [ID!]) { previewMessage(churchId: $c, body: "x", audience: { memberIds: $ids }) { segments } }', {
      c: String(church.churchId),
      ids: Array.from({ length: 60 }, () => []),
    });
    expect(r.status).toBeLessThan(500);
    expect(r.errors?.map((e) => e.extensions?.code)).not.toContain('INTERNAL_SERVER_ERROR');
  });
});
