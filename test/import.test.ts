import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChurchDocument,
  DirectoryPageDocument,
  HouseholdDocument,
  HouseholdsDocument,
  ImportMembersDocument,
  type ImportMemberRow,
} from './generated/graphql.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type GqlResult, type TestServer } from './helpers/server.js';

let s: TestServer;
let church: SeededChurch;
const TZ = 'America/Chicago';

function today(tz = TZ): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(new Date());
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month').padStart(2, '0')}-${get('day').padStart(2, '0')}`;
}

function firstError(r: GqlResult<unknown>) {
  expect(r.errors, `expected an error, got data ${JSON.stringify(r.data)}`).toBeDefined();
  return r.errors![0]!;
}

async function counts(churchId: number) {
  const r = await s.gql(ChurchDocument, { id: String(churchId) });
  expect(r.errors).toBeUndefined();
  const [row] = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM members WHERE church_id = ${churchId}`;
  return { members: r.data!.church.memberCount, households: r.data!.church.households.totalCount, memberRows: row!.n };
}

function importRows(churchId: number | string, rows: ImportMemberRow[]) {
  return s.gql(ImportMembersDocument, { churchId: String(churchId), rows });
}

function manyRows(n: number, prefix: string): ImportMemberRow[] {
  return Array.from({ length: n }, (_, i) => ({
    firstName: `${prefix}${i}`,
    lastName: `Bulk${String(i).padStart(4, '0')}`,
    email: `${prefix.toLowerCase()}${i}@example.org`,
    phone: `(312) 555-${String(i % 10000).padStart(4, '0')}`,
    status: (['VISITOR', 'REGULAR', 'MEMBER', 'INACTIVE'] as const)[i % 4],
    householdName: `${prefix} Home ${Math.floor(i / 2)}`, // pairs share a household
    householdRole: i % 2 === 0 ? 'HEAD' : 'SPOUSE',
  }));
}

beforeAll(async () => {
  s = await startTestServer('import');
  church = await seedChurch(s, { members: 4, timeZone: TZ });
});
afterAll(() => s?.close());

describe('importMembers', () => {
  it('imports 3 rows, two sharing a household, with normalised phones, visible in the directory', async () => {
    const before = await counts(church.churchId);
    const r = await importRows(church.churchId, [
      { firstName: 'Harriet', lastName: 'Hale', phone: '(312) 555-0142', email: 'Harriet@Example.org', status: 'MEMBER', householdName: 'Hale Family', householdRole: 'HEAD', birthDate: '1970-03-15' },
      { firstName: 'Henry', lastName: 'Hale', phone: '+1 773 555 0101', householdName: ' Hale Family ', householdRole: 'SPOUSE', joinedOn: '2001-09-09', status: 'MEMBER' },
      { firstName: 'Solo', lastName: 'Walker', phone: '312.555.0199' },
    ]);
    expect(r.errors).toBeUndefined();
    expect(r.data!.importMembers).toEqual({ imported: 3, householdsCreated: 1, errors: [] });

    const after = await counts(church.churchId);
    expect(after.members).toBe(before.members + 3);
    expect(after.households).toBe(before.households + 1);

    const dir = await s.gql(DirectoryPageDocument, { churchId: String(church.churchId), first: 100 });
    expect(dir.errors).toBeUndefined();
    const byName = new Map(dir.data!.members.edges.map((e) => [e.node.fullName, e.node]));
    const harriet = byName.get('Harriet Hale')!;
    const henry = byName.get('Henry Hale')!;
    const solo = byName.get('Solo Walker')!;
    expect(harriet).toMatchObject({ phone: '+13125550142', email: 'harriet@example.org', status: 'MEMBER', joinedOn: today() });
    expect(henry).toMatchObject({ phone: '+17735550101', status: 'MEMBER', joinedOn: '2001-09-09' });
    expect(solo).toMatchObject({ phone: '+13125550199', status: 'VISITOR', household: null, joinedOn: null });
    expect(harriet.household).not.toBeNull();
    expect(henry.household!.id).toBe(harriet.household!.id);
    expect(harriet.household!.name).toBe('Hale Family');

    const hh = await s.gql(HouseholdDocument, { id: harriet.household!.id });
    expect(hh.data!.household.members.map((m) => [m.firstName, m.householdRole])).toEqual([
      ['Harriet', 'HEAD'],
      ['Henry', 'SPOUSE'],
    ]);
    expect(hh.data!.household.church.id).toBe(String(church.churchId));
  });

  it('creates one household per distinct name and stamps growth dates by status', async () => {
    const c = await seedChurch(s, { members: 0, timeZone: TZ });
    const r = await importRows(c.churchId, [
      { firstName: 'Ivy', lastName: 'Ives', householdName: 'Ives Home', householdRole: 'head', status: 'regular' },
      { firstName: 'Ian', lastName: 'Ives', householdName: 'Ives Home', householdRole: 'CHILD', birthDate: '2012-01-01' },
      { firstName: 'Jo', lastName: 'Jett', householdName: 'Jett House', status: 'INACTIVE' },
    ]);
    expect(r.errors).toBeUndefined();
    expect(r.data!.importMembers).toEqual({ imported: 3, householdsCreated: 2, errors: [] });
    const hs = await s.gql(HouseholdsDocument, { churchId: String(c.churchId), first: 10 });
    expect(hs.data!.households.nodes.map((h) => h.name)).toEqual(['Ives Home', 'Jett House']);
    const dir = await s.gql(DirectoryPageDocument, { churchId: String(c.churchId), first: 10 });
    const nodes = new Map(dir.data!.members.edges.map((e) => [e.node.firstName, e.node]));
    expect(nodes.get('Ivy')).toMatchObject({ status: 'REGULAR', joinedOn: null });
    expect(nodes.get('Ian')).toMatchObject({ status: 'VISITOR' });
    expect(nodes.get('Jo')).toMatchObject({ status: 'INACTIVE' });
    const [jo] = await s.database.sql<{ inactivated_on: string; first_visit_on: string | null }[]>`
      SELECT inactivated_on::text, first_visit_on::text FROM members WHERE church_id = ${c.churchId} AND first_name = 'Jo'`;
    expect(jo!.inactivated_on).toBe(today());
    const [ian] = await s.database.sql<{ first_visit_on: string }[]>`
      SELECT first_visit_on::text FROM members WHERE church_id = ${c.churchId} AND first_name = 'Ian'`;
    expect(ian!.first_visit_on).toBe(today());
  });

  it('imports a batch of 5,000 rows in reasonable time', async () => {
    const c = await seedChurch(s, { members: 0, timeZone: TZ });
    const rows = manyRows(5000, 'Big');
    const t0 = performance.now();
    const r = await importRows(c.churchId, rows);
    const ms = performance.now() - t0;
    expect(r.errors).toBeUndefined();
    expect(r.data!.importMembers).toEqual({ imported: 5000, householdsCreated: 2500, errors: [] });
    expect(ms).toBeLessThan(10_000);
    const after = await counts(c.churchId);
    expect(after.members).toBe(5000);
    expect(after.households).toBe(2500);
    // spot check: the last row landed whole, with its household
    const dir = await s.gql(DirectoryPageDocument, { churchId: String(c.churchId), filter: { search: 'big4999@' } });
    expect(dir.data!.members.edges).toHaveLength(1);
    expect(dir.data!.members.edges[0]!.node).toMatchObject({ phone: '+13125554999', status: 'INACTIVE', household: { name: 'Big Home 2499' } });
  });

  it('refuses 5,001 rows and 0 rows with BAD_USER_INPUT on rows, writing nothing', async () => {
    const before = await counts(church.churchId);
    const tooMany = await importRows(church.churchId, manyRows(5001, 'Over'));
    const e = firstError(tooMany);
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rows' });
    expect(e.message).toMatch(/5000/);
    expect(tooMany.data ?? null).toBeNull();

    const none = await importRows(church.churchId, []);
    expect(firstError(none).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rows' });
    expect(none.data ?? null).toBeNull();
    expect(await counts(church.churchId)).toEqual(before);
  });

  it('reports exactly the bad rows and fields (from 1) and writes nothing', async () => {
    const before = await counts(church.churchId);
    const r = await importRows(church.churchId, [
      { firstName: 'Good', lastName: 'One', householdName: 'Never Created', householdRole: 'HEAD' },
      { firstName: 'Bad', lastName: 'Two', phone: 'not-a-phone', status: 'LEADER', householdName: 'Never Created' },
      { firstName: 'Good', lastName: 'Three', phone: '(312) 555-0150', householdName: 'Also Never' },
      { firstName: 'Bad', lastName: 'Four', joinedOn: '2024-02-30', householdRole: 'CHILD' },
      { firstName: 'Good', lastName: 'Five', status: 'MEMBER' },
    ]);
    expect(r.errors).toBeUndefined();
    const p = r.data!.importMembers;
    expect(p.imported).toBe(0);
    expect(p.householdsCreated).toBe(0);
    const got = p.errors.map((x) => `${x.row}:${x.field}`).sort();
    expect(got).toEqual(['2:phone', '2:status', '4:householdRole', '4:joinedOn']);
    for (const x of p.errors) expect(x.message.length).toBeGreaterThan(3);

    expect(await counts(church.churchId)).toEqual(before);
    const [hh] = await s.database.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM households WHERE name IN ('Never Created', 'Also Never')`;
    expect(hh!.n).toBe(0);
    const [m] = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM members WHERE last_name IN ('One', 'Three', 'Five')`;
    expect(m!.n).toBe(0);
  });

  it('checks every field of every row', async () => {
    const before = await counts(church.churchId);
    const r = await importRows(church.churchId, [
      { firstName: '  ', lastName: 'L'.repeat(81) },
      { firstName: 'Ok', lastName: 'Ok', email: 'nobody@nowhere', householdRole: 'PASTOR', householdName: 'Fine' },
      { firstName: 'Ok', lastName: 'Ok', birthDate: '1800-01-01', firstVisitOn: '15/01/2024' },
      { firstName: 'Ok', lastName: 'Ok', householdName: 'h'.repeat(121) },
      { firstName: 'Ok', lastName: 'Ok', status: 'member' },
    ]);
    expect(r.errors).toBeUndefined();
    const p = r.data!.importMembers;
    expect(p).toMatchObject({ imported: 0, householdsCreated: 0 });
    expect([...new Set(p.errors.map((x) => `${x.row}:${x.field}`))].sort()).toEqual([
      '1:firstName',
      '1:lastName',
      '2:email',
      '2:householdRole',
      '3:birthDate',
      '3:firstVisitOn',
      '4:householdName',
    ]);
    expect(await counts(church.churchId)).toEqual(before);
  });

  it('one bad row at the end of 5,000 stops the whole batch', async () => {
    const c = await seedChurch(s, { members: 0, timeZone: TZ });
    const rows = manyRows(5000, 'Tail');
    rows[4999] = { ...rows[4999]!, email: 'broken@' };
    const r = await importRows(c.churchId, rows);
    expect(r.errors).toBeUndefined();
    expect(r.data!.importMembers).toEqual({
      imported: 0,
      householdsCreated: 0,
      errors: [expect.objectContaining({ row: 5000, field: 'email' })],
    });
    expect(await counts(c.churchId)).toEqual({ members: 0, households: 0, memberRows: 0 });
  });

  it('answers NOT_FOUND for an unknown church and BAD_USER_INPUT for a malformed id', async () => {
    const rows = [{ firstName: 'Nobody', lastName: 'Home' }];
    const r = await importRows('999999', rows);
    expect(firstError(r).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'churchId' });
    expect(r.data ?? null).toBeNull();
    const bad = await importRows('abc', rows);
    expect(firstError(bad).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'churchId' });
    const [m] = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM members WHERE first_name = 'Nobody'`;
    expect(m!.n).toBe(0);
  });
});
