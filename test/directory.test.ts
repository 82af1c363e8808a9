import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryNoCountDocument, DirectoryPageDocument } from './generated/graphql.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let big: SeededChurch;
let other: SeededChurch;

beforeAll(async () => {
  s = await startTestServer('directory');
  big = await seedChurch(s, { members: 130 });
  other = await seedChurch(s, { members: 12 });
});
afterAll(() => s.close());

describe('members directory', () => {
  it('returns the first page in name order with totalCount and pageInfo', async () => {
    const r = await s.gql(DirectoryPageDocument, { churchId: String(big.churchId), first: 10 });
    expect(r.errors).toBeUndefined();
    const page = r.data!.members;
    expect(page.totalCount).toBe(130);
    expect(page.edges).toHaveLength(10);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.pageInfo.hasPreviousPage).toBe(false);
    expect(page.pageInfo.endCursor).toBe(page.edges[9]!.cursor);
    const names = page.edges.map((e) => [e.node.lastName.toLowerCase(), e.node.firstName.toLowerCase()].join(','));
    expect(names).toEqual([...names].sort());
    for (const e of page.edges) {
      expect(e.node.church.id).toBe(String(big.churchId));
      expect(e.node.household).not.toBeNull();
      expect(e.node.groups).toHaveLength(2);
    }
  });

  it('walks every page to the last one without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    for (;;) {
      const r = await s.gql(DirectoryNoCountDocument, { churchId: String(big.churchId), first: 50, after });
      expect(r.errors).toBeUndefined();
      const m = r.data!.members;
      seen.push(...m.nodes.map((n) => n.id));
      pages++;
      if (!m.pageInfo.hasNextPage) break;
      after = m.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(130);
    expect(new Set(seen).size).toBe(130);
    expect(seen.map(Number).sort((a, b) => a - b)).toEqual([...big.memberIds].sort((a, b) => a - b));
  });

  it('answers an empty page past the end and for a church without members', async () => {
    const first = await s.gql(DirectoryNoCountDocument, { churchId: String(other.churchId), first: 12 });
    const last = await s.gql(DirectoryNoCountDocument, {
      churchId: String(other.churchId),
      first: 5,
      after: first.data!.members.pageInfo.endCursor,
    });
    expect(last.errors).toBeUndefined();
    expect(last.data!.members.nodes).toEqual([]);
    expect(last.data!.members.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
    const empty = await seedChurch(s, { members: 0 });
    const r = await s.gql(DirectoryPageDocument, { churchId: String(empty.churchId) });
    expect(r.data!.members.totalCount).toBe(0);
    expect(r.data!.members.edges).toEqual([]);
  });

  it('orders by join date, newest first, members without one last', async () => {
    const r = await s.gql(DirectoryPageDocument, { churchId: String(big.churchId), first: 100, orderBy: 'JOINED' });
    const dates = r.data!.members.edges.map((e) => e.node.joinedOn);
    const firstNull = dates.indexOf(null);
    expect(firstNull).toBeGreaterThan(0);
    expect(dates.slice(firstNull).every((d) => d === null)).toBe(true);
    const withDates = dates.slice(0, firstNull) as string[];
    expect(withDates).toEqual([...withDates].sort().reverse());
    // continue with the JOINED cursor: no overlap
    const next = await s.gql(DirectoryPageDocument, {
      churchId: String(big.churchId),
      first: 100,
      orderBy: 'JOINED',
      after: r.data!.members.pageInfo.endCursor,
    });
    const ids = new Set(r.data!.members.edges.map((e) => e.node.id));
    expect(next.data!.members.edges).toHaveLength(30);
    expect(next.data!.members.edges.some((e) => ids.has(e.node.id))).toBe(false);
  });

  it('filters by status, search, group and household', async () => {
    const id = String(big.churchId);
    const byStatus = await s.gql(DirectoryPageDocument, { churchId: id, first: 100, filter: { status: ['VISITOR', 'INACTIVE'] } });
    expect(byStatus.data!.members.totalCount).toBe(52);
    expect(byStatus.data!.members.edges.every((e) => ['VISITOR', 'INACTIVE'].includes(e.node.status))).toBe(true);

    const byEmail = await s.gql(DirectoryPageDocument, { churchId: id, filter: { search: 'PERSON17@' } });
    expect(byEmail.data!.members.edges.map((e) => e.node.email)).toEqual(['person17@example.org']);

    const phone = byEmail.data!.members.edges[0]!.node.phone!;
    const formatted = `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
    const byPhone = await s.gql(DirectoryPageDocument, { churchId: id, filter: { search: formatted } });
    expect(byPhone.data!.members.edges.map((e) => e.node.phone)).toEqual([phone]);

    const byName = await s.gql(DirectoryPageDocument, { churchId: id, first: 100, filter: { search: 'ada adams' } });
    expect(byName.data!.members.totalCount).toBe(1);

    const wildcard = await s.gql(DirectoryPageDocument, { churchId: id, filter: { search: '%' } });
    expect(wildcard.data!.members.totalCount).toBe(0);

    const byGroup = await s.gql(DirectoryPageDocument, { churchId: id, first: 100, filter: { groupId: String(big.groupIds[0]) } });
    expect(byGroup.data!.members.totalCount).toBe(87); // two of three groups per member: 130 * 2/3, rounded by position
    expect(byGroup.data!.members.edges.every((e) => e.node.groups.some((g) => g.id === String(big.groupIds[0])))).toBe(true);

    const byHousehold = await s.gql(DirectoryPageDocument, { churchId: id, filter: { householdId: String(big.householdIds[3]) } });
    expect(byHousehold.data!.members.edges.map((e) => e.node.household!.id)).toEqual([String(big.householdIds[3]), String(big.householdIds[3])]);
  });

  it("refuses another church's group or household as a filter", async () => {
    const r = await s.gql(DirectoryPageDocument, { churchId: String(big.churchId), filter: { groupId: String(other.groupIds[0]) } });
    expect(r.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(r.errors![0]!.extensions!.field).toBe('filter.groupId');
    const h = await s.gql(DirectoryPageDocument, { churchId: String(big.churchId), filter: { householdId: String(other.householdIds[0]) } });
    expect(h.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('rejects first over the cap, a negative first, bad cursors and a cursor of another ordering', async () => {
    const id = String(big.churchId);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ first: 101 }, 'first'],
      [{ first: 100000 }, 'first'],
      [{ first: -1 }, 'first'],
      [{ after: 'not-a-cursor' }, 'after'],
      [{ after: Buffer.from('["NAME",1]').toString('base64url') }, 'after'],
      [{ after: Buffer.from('["NAME","x","y",1]').toString('base64url'), orderBy: 'JOINED' }, 'after'],
    ];
    for (const [vars, field] of cases) {
      s.database.statements.reset();
      const r = await s.gql(DirectoryPageDocument, { churchId: id, ...vars });
      expect(r.data ?? null).toBeNull();
      expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.extensions!.field).toBe(field);
      // rejected without touching the members table (a cap violation before any SQL at all)
      expect(s.database.statements.recent.some((q) => q.query.includes('members'))).toBe(false);
      if (field === 'first' && (vars.first as number) > 100) expect(s.database.statements.count).toBe(0);
    }
  });

  it('answers NOT_FOUND for an unknown church and BAD_USER_INPUT for a malformed id', async () => {
    const r = await s.gql(DirectoryPageDocument, { churchId: '999999' });
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'churchId' });
    const bad = await s.gql(DirectoryPageDocument, { churchId: 'abc' });
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'churchId' });
  });

  it('archived members leave the directory and appear with archived: true', async () => {
    const victim = String(other.memberIds[0]);
    await s.gql('mutation($id: ID!) { archiveMember(id: $id) { id } }', { id: victim });
    const live = await s.gql(DirectoryPageDocument, { churchId: String(other.churchId), first: 100 });
    expect(live.data!.members.edges.map((e) => e.node.id)).not.toContain(victim);
    expect(live.data!.members.totalCount).toBe(11);
    const archived = await s.gql(DirectoryPageDocument, { churchId: String(other.churchId), filter: { archived: true } });
    expect(archived.data!.members.edges.map((e) => e.node.id)).toEqual([victim]);
    await s.gql('mutation($id: ID!) { restoreMember(id: $id) { id } }', { id: victim });
  });
});

describe('statement count', () => {
  async function countFor(first: number) {
    s.database.statements.reset();
    const r = await s.gql(DirectoryNoCountDocument, { churchId: String(big.churchId), first });
    expect(r.errors).toBeUndefined();
    expect(r.data!.members.nodes).toHaveLength(first);
    return s.database.statements.count;
  }

  it('is the same small number for 10 rows and 100 rows', async () => {
    const ten = await countFor(10);
    const hundred = await countFor(100);
    expect(ten).toBe(hundred);
    expect(ten).toBeLessThanOrEqual(5);
  });

  it('stays constant when churches list their members (batched across parents)', async () => {
    await seedChurch(s, { members: 5 });
    s.database.statements.reset();
    const r = await s.gql('{ churches(first: 50) { nodes { id memberCount members(first: 3) { nodes { id household { name } groups { name } } } } } }');
    expect(r.errors).toBeUndefined();
    expect(r.data.churches.nodes.length).toBeGreaterThanOrEqual(3);
    // churches, member counts, member pages, households, groups
    expect(s.database.statements.count).toBeLessThanOrEqual(5);
  });
});
