import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddGroupMemberDocument,
  ArchiveMemberDocument,
  ChurchDocument,
  ChurchesDocument,
  CreateChurchDocument,
  CreateGroupDocument,
  CreateHouseholdDocument,
  CreateMemberDocument,
  DirectoryPageDocument,
  GroupDocument,
  GroupsDocument,
  HouseholdDocument,
  HouseholdsDocument,
  MemberDetailDocument,
  RemoveGroupMemberDocument,
  RestoreMemberDocument,
  UpdateChurchDocument,
  UpdateGroupDocument,
  UpdateHouseholdDocument,
  UpdateMemberDocument,
  type CreateMemberInput,
} from './generated/graphql.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type GqlResult, type TestServer } from './helpers/server.js';

let s: TestServer;
let a: SeededChurch; // the church most tests act in
let b: SeededChurch; // "another church": its data must never leak into or be touched from a
const SEED_TZ = 'America/Chicago';

/** Today's calendar date in a zone, computed independently of the code under test. */
function today(tz = SEED_TZ): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(new Date());
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month').padStart(2, '0')}-${get('day').padStart(2, '0')}`;
}

function firstError(r: GqlResult<unknown>) {
  expect(r.errors, `expected an error, got data ${JSON.stringify(r.data)}`).toBeDefined();
  expect(r.errors!.length).toBeGreaterThan(0);
  return r.errors![0]!;
}

function expectBadInput(r: GqlResult<unknown>, field: string) {
  const e = firstError(r);
  expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(r.data ?? null).toBeNull();
  return e;
}

function expectNotFound(r: GqlResult<unknown>, field: string) {
  const e = firstError(r);
  expect(e.extensions).toMatchObject({ code: 'NOT_FOUND', field });
  expect(r.data ?? null).toBeNull();
  return e;
}

function problemFields(e: { extensions?: Record<string, unknown> }): string[] {
  return ((e.extensions!.problems as Array<{ field: string }>) ?? []).map((p) => p.field);
}

async function memberCount(churchId: number | string): Promise<number> {
  const r = await s.gql(ChurchDocument, { id: String(churchId) });
  expect(r.errors).toBeUndefined();
  return r.data!.church.memberCount;
}

async function householdCount(churchId: number | string): Promise<number> {
  const r = await s.gql(HouseholdsDocument, { churchId: String(churchId), first: 1 });
  expect(r.errors).toBeUndefined();
  return r.data!.households.totalCount;
}

async function member(id: string) {
  const r = await s.gql(MemberDetailDocument, { id });
  expect(r.errors).toBeUndefined();
  return r.data!.member;
}

async function newMember(input: Omit<CreateMemberInput, 'churchId'> & { churchId?: string }) {
  const r = await s.gql(CreateMemberDocument, { input: { churchId: String(a.churchId), ...input } });
  expect(r.errors).toBeUndefined();
  return r.data!.createMember;
}

async function newHousehold(churchId: number, name: string) {
  const r = await s.gql(CreateHouseholdDocument, { input: { churchId: String(churchId), name } });
  expect(r.errors).toBeUndefined();
  return r.data!.createHousehold;
}

async function newGroup(churchId: number, name: string) {
  const r = await s.gql(CreateGroupDocument, { input: { churchId: String(churchId), name } });
  expect(r.errors).toBeUndefined();
  return r.data!.createGroup;
}

async function membershipRows(memberId: string): Promise<number> {
  const [row] = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM group_memberships WHERE member_id = ${Number(memberId)}`;
  return row!.n;
}

beforeAll(async () => {
  s = await startTestServer('mutations');
  a = await seedChurch(s, { members: 6, name: 'Alpha Church' });
  b = await seedChurch(s, { members: 4, name: 'Bethel Secret Fellowship' });
});
afterAll(() => s?.close());

// ---------------------------------------------------------------------------------------------
describe('createChurch / updateChurch / church / churches', () => {
  let graceId: string;

  it('creates a church, normalising the SMS number to E.164, and reads it back', async () => {
    const r = await s.gql(CreateChurchDocument, {
      input: { name: '  Grace Chapel ', slug: 'grace-chapel', timeZone: 'America/New_York', smsFromNumber: '(312) 555-0100' },
    });
    expect(r.errors).toBeUndefined();
    const c = r.data!.createChurch;
    expect(c).toMatchObject({ name: 'Grace Chapel', slug: 'grace-chapel', timeZone: 'America/New_York', smsFromNumber: '+13125550100' });
    expect(Number.isNaN(Date.parse(c.createdAt))).toBe(false);
    graceId = c.id;

    // a platform admin creates the church; its people need a role there
    await s.grantAll();
    const read = await s.gql(ChurchDocument, { id: graceId });
    expect(read.errors).toBeUndefined();
    expect(read.data!.church).toMatchObject({
      id: graceId,
      name: 'Grace Chapel',
      slug: 'grace-chapel',
      smsFromNumber: '+13125550100',
      memberCount: 0,
      groups: { totalCount: 0, nodes: [] },
      households: { totalCount: 0, nodes: [] },
    });
  });

  it('accepts a church without an SMS number', async () => {
    const r = await s.gql(CreateChurchDocument, { input: { name: 'Hope Hall', slug: 'hope-hall', timeZone: 'Europe/London' } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.createChurch.smsFromNumber).toBeNull();
  });

  it('rejects a bad slug, time zone, name or SMS number, naming the field, and writes nothing', async () => {
    const before = (await s.gql(ChurchesDocument, { first: 1 })).data!.churches.totalCount;
    const ok = { name: 'Valid Name', slug: 'valid-slug', timeZone: 'America/Chicago' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ slug: 'ab' }, 'input.slug'],
      [{ slug: '-grace' }, 'input.slug'],
      [{ slug: 'grace-' }, 'input.slug'],
      [{ slug: 'grace chapel' }, 'input.slug'],
      [{ slug: 'grâce' }, 'input.slug'],
      [{ slug: 'a'.repeat(64) }, 'input.slug'],
      [{ timeZone: 'Mars/Olympus_Mons' }, 'input.timeZone'],
      [{ timeZone: 'EST' }, 'input.timeZone'],
      [{ timeZone: '' }, 'input.timeZone'],
      [{ name: '   ' }, 'input.name'],
      [{ name: 'x'.repeat(121) }, 'input.name'],
      [{ smsFromNumber: '12345' }, 'input.smsFromNumber'],
      [{ smsFromNumber: 'call me' }, 'input.smsFromNumber'],
    ];
    for (const [patch, field] of cases) {
      const r = await s.gql(CreateChurchDocument, { input: { ...ok, ...patch } as never });
      const e = expectBadInput(r, field);
      expect(problemFields(e)).toEqual([field]);
    }
    const all = await s.gql(CreateChurchDocument, {
      input: { name: '', slug: 'A B', timeZone: 'Nowhere/Land', smsFromNumber: '42' },
    });
    const e = firstError(all);
    expect(e.extensions!.code).toBe('BAD_USER_INPUT');
    expect(problemFields(e).sort()).toEqual(['input.name', 'input.slug', 'input.smsFromNumber', 'input.timeZone']);
    expect(problemFields(e)).toContain(e.extensions!.field);
    const after = (await s.gql(ChurchesDocument, { first: 1 })).data!.churches.totalCount;
    expect(after).toBe(before);
  });

  it('answers a duplicate slug or SMS number as BAD_USER_INPUT on that field', async () => {
    const dupSlug = await s.gql(CreateChurchDocument, { input: { name: 'Another Grace', slug: 'grace-chapel', timeZone: 'America/Chicago' } });
    expect(expectBadInput(dupSlug, 'input.slug').message).toMatch(/taken/);
    const dupNumber = await s.gql(CreateChurchDocument, {
      input: { name: 'Another', slug: 'another-one', timeZone: 'America/Chicago', smsFromNumber: '+1 312-555-0100' },
    });
    expectBadInput(dupNumber, 'input.smsFromNumber');
    // neither half-created
    const again = await s.gql(CreateChurchDocument, { input: { name: 'Another', slug: 'another-one', timeZone: 'America/Chicago' } });
    expect(again.errors).toBeUndefined();
  });

  it('updates only the fields given; null clears the SMS number', async () => {
    const r = await s.gql(UpdateChurchDocument, { id: graceId, input: { name: 'Grace Chapel East' } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.updateChurch).toEqual({
      id: graceId,
      name: 'Grace Chapel East',
      slug: 'grace-chapel',
      timeZone: 'America/New_York',
      smsFromNumber: '+13125550100',
    });
    const tz = await s.gql(UpdateChurchDocument, { id: graceId, input: { timeZone: 'America/Denver', smsFromNumber: '312.555.0199' } });
    expect(tz.data!.updateChurch).toMatchObject({ name: 'Grace Chapel East', timeZone: 'America/Denver', smsFromNumber: '+13125550199' });
    const cleared = await s.gql(UpdateChurchDocument, { id: graceId, input: { smsFromNumber: null } });
    expect(cleared.errors).toBeUndefined();
    expect(cleared.data!.updateChurch).toMatchObject({ slug: 'grace-chapel', timeZone: 'America/Denver', smsFromNumber: null });
  });

  it('rejects bad updates and leaves the church as it was', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ slug: 'hope-hall' }, 'input.slug'], // taken by another church
      [{ slug: 'ab' }, 'input.slug'],
      [{ slug: 'Bad Slug' }, 'input.slug'],
      [{ slug: null }, 'input.slug'],
      [{ timeZone: 'Not/AZone' }, 'input.timeZone'],
      [{ timeZone: null }, 'input.timeZone'],
      [{ name: '' }, 'input.name'],
      [{ name: null }, 'input.name'],
      [{ smsFromNumber: '999' }, 'input.smsFromNumber'],
    ];
    for (const [input, field] of cases) {
      const r = await s.gql(UpdateChurchDocument, { id: graceId, input: { name: 'Should Not Stick', ...input } as never });
      expectBadInput(r, field);
    }
    const read = await s.gql(ChurchDocument, { id: graceId });
    expect(read.data!.church).toMatchObject({ name: 'Grace Chapel East', slug: 'grace-chapel', timeZone: 'America/Denver', smsFromNumber: null });

    expectNotFound(await s.gql(UpdateChurchDocument, { id: '999999', input: { name: 'Ghost' } }), 'id');
    expectBadInput(await s.gql(UpdateChurchDocument, { id: 'abc', input: { name: 'Ghost' } }), 'id');
  });

  it('enforces the documented 3-63 character slug length at the short end', async () => {
    const three = await s.gql(CreateChurchDocument, { input: { name: 'Three', slug: 'abc', timeZone: 'UTC' } });
    expect(three.errors).toBeUndefined();
    expect(three.data!.createChurch.slug).toBe('abc');
    const sixtyThree = await s.gql(CreateChurchDocument, { input: { name: 'Long', slug: 'a'.repeat(63), timeZone: 'UTC' } });
    expect(sixtyThree.errors).toBeUndefined();
    // "3-63 characters": one or two characters are too short
    for (const slug of ['x', '7', 'ab']) {
      const r = await s.gql(CreateChurchDocument, { input: { name: `Short ${slug}`, slug, timeZone: 'UTC' } });
      expectBadInput(r, 'input.slug');
    }
  });

  it('church(id): NOT_FOUND for an unknown id, BAD_USER_INPUT for a malformed one', async () => {
    const missing = expectNotFound(await s.gql(ChurchDocument, { id: '999999' }), 'id');
    expect(missing.message).toContain('999999');
    expectBadInput(await s.gql(ChurchDocument, { id: 'abc' }), 'id');
    expectBadInput(await s.gql(ChurchDocument, { id: '-1' }), 'id');
  });

  it('churches: pages by name with totalCount, cursors and no gaps or repeats', async () => {
    for (const n of ['zeta', 'Eta', 'theta']) {
      const r = await s.gql(CreateChurchDocument, { input: { name: `Paging ${n}`, slug: `paging-${n.toLowerCase()}`, timeZone: 'UTC' } });
      expect(r.errors).toBeUndefined();
    }
    await s.grantAll();
    const all = await s.gql(ChurchesDocument, { first: 100 });
    expect(all.errors).toBeUndefined();
    const total = all.data!.churches.totalCount;
    const [row] = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM churches`;
    expect(row!.n).toBeGreaterThanOrEqual(8); // 2 seeded + Grace, Hope, Another + 3 paging churches
    expect(total).toBe(row!.n);
    expect(all.data!.churches.edges).toHaveLength(total);
    const names = all.data!.churches.edges.map((e) => e.node.name.toLowerCase());
    expect(names).toEqual([...names].sort());
    expect(all.data!.churches.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    const seen: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    for (;;) {
      const r = await s.gql(ChurchesDocument, { first: 3, after });
      expect(r.errors).toBeUndefined();
      const c = r.data!.churches;
      expect(c.totalCount).toBe(total);
      expect(c.pageInfo.hasPreviousPage).toBe(after != null);
      expect(c.edges.length).toBeLessThanOrEqual(3);
      seen.push(...c.edges.map((e) => e.node.id));
      pages++;
      if (!c.pageInfo.hasNextPage) break;
      expect(c.pageInfo.endCursor).toBe(c.edges[c.edges.length - 1]!.cursor);
      after = c.pageInfo.endCursor;
    }
    expect(pages).toBe(Math.ceil(total / 3));
    expect(seen).toEqual(all.data!.churches.edges.map((e) => e.node.id));

    const alpha = all.data!.churches.edges.find((e) => e.node.id === String(a.churchId))!;
    expect(alpha.node.memberCount).toBe(6);
    expect(alpha.node.members.nodes).toHaveLength(3);
  });

  it('churches: rejects a bad cursor, a cursor of another list and first over the cap', async () => {
    expectBadInput(await s.gql(ChurchesDocument, { first: 2, after: 'not-a-cursor' }), 'after');
    const groupCursor = Buffer.from(JSON.stringify(['GROUP', 'x', 1])).toString('base64url');
    expectBadInput(await s.gql(ChurchesDocument, { first: 2, after: groupCursor }), 'after');
    const wrongShape = Buffer.from(JSON.stringify(['CHURCH', 1, 'x'])).toString('base64url');
    expectBadInput(await s.gql(ChurchesDocument, { first: 2, after: wrongShape }), 'after');
    expectBadInput(await s.gql(ChurchesDocument, { first: 101 }), 'first');
    expectBadInput(await s.gql(ChurchesDocument, { first: -1 }), 'first');
  });
});

// ---------------------------------------------------------------------------------------------
describe('createMember', () => {
  it('creates a visitor with a normalised phone and email and firstVisitOn today', async () => {
    const before = await memberCount(a.churchId);
    const m = await newMember({ firstName: ' Zoe ', lastName: 'Quinn', phone: '(312) 555-0142', email: 'Zoe.Quinn@Example.ORG' });
    expect(m).toMatchObject({
      firstName: 'Zoe',
      lastName: 'Quinn',
      phone: '+13125550142',
      email: 'zoe.quinn@example.org',
      status: 'VISITOR',
      firstVisitOn: today(),
      joinedOn: null,
      inactivatedOn: null,
      household: null,
      householdRole: null,
    });
    expect(await memberCount(a.churchId)).toBe(before + 1);
    const dir = await s.gql(DirectoryPageDocument, { churchId: String(a.churchId), filter: { search: 'zoe.quinn' } });
    expect(dir.data!.members.edges.map((e) => e.node.id)).toEqual([m.id]);
  });

  it('gives a MEMBER joinedOn today (and keeps an explicit date)', async () => {
    const m = await newMember({ firstName: 'Mo', lastName: 'Member', status: 'MEMBER' });
    expect(m).toMatchObject({ status: 'MEMBER', joinedOn: today(), firstVisitOn: null });
    const dated = await newMember({ firstName: 'Dee', lastName: 'Dated', status: 'MEMBER', joinedOn: '2015-06-01', birthDate: '1980-02-29' });
    expect(dated).toMatchObject({ joinedOn: '2015-06-01', birthDate: '1980-02-29' });
    const regular = await newMember({ firstName: 'Rey', lastName: 'Regular', status: 'REGULAR' });
    expect(regular).toMatchObject({ status: 'REGULAR', joinedOn: null, firstVisitOn: null });
  });

  it('accepts names of exactly 80 characters and a household of the same church with a role', async () => {
    const h = await newHousehold(a.churchId, 'Quinn Household');
    const m = await newMember({ firstName: 'F'.repeat(80), lastName: 'L'.repeat(80), householdId: h.id, householdRole: 'HEAD' });
    expect(m.firstName).toHaveLength(80);
    expect(m.household).toEqual({ id: h.id });
    expect(m.householdRole).toBe('HEAD');
  });

  it('rejects each bad field with BAD_USER_INPUT naming it', async () => {
    const before = await memberCount(a.churchId);
    const base = { churchId: String(a.churchId), firstName: 'Val', lastName: 'Id' };
    const cases: Array<[Partial<CreateMemberInput>, string]> = [
      [{ phone: '555-0100' }, 'input.phone'],
      [{ phone: 'not a phone' }, 'input.phone'],
      [{ phone: '1'.repeat(41) }, 'input.phone'],
      [{ email: 'val@example' }, 'input.email'],
      [{ email: 'val example@example.org' }, 'input.email'],
      [{ email: 'no-at-sign.org' }, 'input.email'],
      [{ firstName: 'F'.repeat(81) }, 'input.firstName'],
      [{ lastName: 'L'.repeat(81) }, 'input.lastName'],
      [{ firstName: '   ' }, 'input.firstName'],
      [{ lastName: '' }, 'input.lastName'],
      [{ householdRole: 'SPOUSE' }, 'input.householdRole'],
    ];
    for (const [patch, field] of cases) {
      const r = await s.gql(CreateMemberDocument, { input: { ...base, ...patch } });
      const e = expectBadInput(r, field);
      expect(new Set(problemFields(e))).toEqual(new Set([field]));
    }
    expect(await memberCount(a.churchId)).toBe(before);
  });

  it('lists every problem at once and writes nothing', async () => {
    const before = await memberCount(a.churchId);
    const r = await s.gql(CreateMemberDocument, {
      input: {
        churchId: String(a.churchId),
        firstName: ' ',
        lastName: 'L'.repeat(81),
        email: 'broken@',
        phone: '12',
        householdRole: 'CHILD',
      },
    });
    const e = firstError(r);
    expect(e.extensions!.code).toBe('BAD_USER_INPUT');
    expect(problemFields(e).sort()).toEqual(['input.email', 'input.firstName', 'input.householdRole', 'input.lastName', 'input.phone']);
    expect(problemFields(e)).toContain(e.extensions!.field);
    for (const f of ['input.email', 'input.phone', 'input.firstName']) expect(e.message).toContain(f);
    expect(await memberCount(a.churchId)).toBe(before);
    const [row] = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM members WHERE church_id = ${a.churchId}`;
    expect(row!.n).toBe(before); // none archived in a yet: every row is counted
  });

  it("answers NOT_FOUND for another church's household and an unknown church, writing nothing", async () => {
    const secret = await newHousehold(b.churchId, 'Zebulon Secret Household');
    const beforeA = await memberCount(a.churchId);
    const beforeB = await memberCount(b.churchId);
    const r = await s.gql(CreateMemberDocument, {
      input: { churchId: String(a.churchId), firstName: 'Nosy', lastName: 'Parker', householdId: secret.id, householdRole: 'CHILD' },
    });
    const e = expectNotFound(r, 'input.householdId');
    expect(JSON.stringify(r)).not.toContain('Zebulon');
    expect(JSON.stringify(r)).not.toContain('Bethel');
    expect(e.message).not.toMatch(/Zebulon|Bethel|church/i);
    expect(await memberCount(a.churchId)).toBe(beforeA);
    expect(await memberCount(b.churchId)).toBe(beforeB);

    expectNotFound(
      await s.gql(CreateMemberDocument, { input: { churchId: String(a.churchId), firstName: 'X', lastName: 'Y', householdId: '999999' } }),
      'input.householdId',
    );
    expectNotFound(await s.gql(CreateMemberDocument, { input: { churchId: '999999', firstName: 'X', lastName: 'Y' } }), 'input.churchId');
    expectBadInput(await s.gql(CreateMemberDocument, { input: { churchId: 'abc', firstName: 'X', lastName: 'Y' } }), 'input.churchId');
    expect(await memberCount(a.churchId)).toBe(beforeA);
  });
});

// ---------------------------------------------------------------------------------------------
describe('updateMember', () => {
  it('changes only the fields given; null clears an optional field', async () => {
    const m = await newMember({ firstName: 'Pat', lastName: 'Partial', email: 'pat@example.org', phone: '312-555-0111', birthDate: '1990-01-02' });
    const r = await s.gql(UpdateMemberDocument, { id: m.id, input: { firstName: 'Patricia' } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.updateMember).toMatchObject({
      firstName: 'Patricia',
      lastName: 'Partial',
      email: 'pat@example.org',
      phone: '+13125550111',
      birthDate: '1990-01-02',
      status: 'VISITOR',
      firstVisitOn: m.firstVisitOn,
    });
    const cleared = await s.gql(UpdateMemberDocument, { id: m.id, input: { email: null, phone: '(773) 555-0101' } });
    expect(cleared.errors).toBeUndefined();
    expect(cleared.data!.updateMember).toMatchObject({ email: null, phone: '+17735550101', firstName: 'Patricia', birthDate: '1990-01-02' });
    const read = await member(m.id);
    expect(read).toMatchObject({ email: null, phone: '+17735550101', firstName: 'Patricia', fullName: 'Patricia Partial' });
    const noPhone = await s.gql(UpdateMemberDocument, { id: m.id, input: { phone: null, birthDate: null } });
    expect(noPhone.data!.updateMember).toMatchObject({ phone: null, birthDate: null, lastName: 'Partial' });
  });

  it('rejects bad fields (every problem listed) and leaves the member unchanged', async () => {
    const m = await newMember({ firstName: 'Una', lastName: 'Changed', email: 'una@example.org' });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ phone: 'abc' }, 'input.phone'],
      [{ email: 'una@' }, 'input.email'],
      [{ firstName: null }, 'input.firstName'],
      [{ firstName: '  ' }, 'input.firstName'],
      [{ lastName: 'x'.repeat(81) }, 'input.lastName'],
      [{ householdRole: 'HEAD' }, 'input.householdRole'], // no household
    ];
    for (const [input, field] of cases) {
      expectBadInput(await s.gql(UpdateMemberDocument, { id: m.id, input: { status: 'MEMBER', ...input } as never }), field);
    }
    const many = firstError(await s.gql(UpdateMemberDocument, { id: m.id, input: { phone: 'abc', email: 'una@', firstName: '' } }));
    expect(problemFields(many).sort()).toEqual(['input.email', 'input.firstName', 'input.phone']);
    expect(await member(m.id)).toMatchObject({ firstName: 'Una', email: 'una@example.org', status: 'VISITOR', joinedOn: null });
  });

  it('stamps inactivatedOn on INACTIVE and joinedOn once on MEMBER', async () => {
    const m = await newMember({ firstName: 'Stan', lastName: 'Status' });
    expect(m.joinedOn).toBeNull();
    const joined = await s.gql(UpdateMemberDocument, { id: m.id, input: { status: 'MEMBER' } });
    expect(joined.data!.updateMember).toMatchObject({ status: 'MEMBER', joinedOn: today(), inactivatedOn: null, firstVisitOn: m.firstVisitOn });
    // an explicit join date in the past, then leave and come back: the date is not re-stamped
    await s.gql(UpdateMemberDocument, { id: m.id, input: { joinedOn: '2019-03-10' } });
    const inactive = await s.gql(UpdateMemberDocument, { id: m.id, input: { status: 'INACTIVE' } });
    expect(inactive.data!.updateMember).toMatchObject({ status: 'INACTIVE', inactivatedOn: today(), joinedOn: '2019-03-10' });
    const back = await s.gql(UpdateMemberDocument, { id: m.id, input: { status: 'MEMBER' } });
    expect(back.data!.updateMember).toMatchObject({ status: 'MEMBER', joinedOn: '2019-03-10' });
    const regular = await s.gql(UpdateMemberDocument, { id: m.id, input: { status: 'REGULAR' } });
    expect(regular.data!.updateMember).toMatchObject({ status: 'REGULAR', joinedOn: '2019-03-10' });
  });

  it('records a staff opt-out from texts; opting back in through the API is refused', async () => {
    const m = await newMember({ firstName: 'Otto', lastName: 'Optout', phone: '312-555-0177' });
    const noop = await s.gql(UpdateMemberDocument, { id: m.id, input: { smsOptOut: false } });
    expect(noop.errors).toBeUndefined();
    expect(noop.data!.updateMember).toMatchObject({ smsOptedOut: false, smsOptOutVia: null });

    const out = await s.gql(UpdateMemberDocument, { id: m.id, input: { smsOptOut: true } });
    expect(out.errors).toBeUndefined();
    expect(out.data!.updateMember).toMatchObject({ smsOptedOut: true, smsOptOutVia: 'staff' });
    const at1 = (await member(m.id)).smsOptedOutAt;
    expect(at1).not.toBeNull();

    const back = await s.gql(UpdateMemberDocument, { id: m.id, input: { smsOptOut: false } });
    expectBadInput(back, 'input.smsOptOut');
    const again = await s.gql(UpdateMemberDocument, { id: m.id, input: { smsOptOut: true } });
    expect(again.errors).toBeUndefined();
    const read = await member(m.id);
    expect(read).toMatchObject({ smsOptedOut: true, smsOptOutVia: 'staff', smsOptedOutAt: at1 });
  });

  it('moves a member between households; householdId null clears the role too', async () => {
    const h1 = await newHousehold(a.churchId, 'Mover One');
    const h2 = await newHousehold(a.churchId, 'Mover Two');
    const m = await newMember({ firstName: 'Moe', lastName: 'Mover', householdId: h1.id, householdRole: 'SPOUSE' });
    const moved = await s.gql(UpdateMemberDocument, { id: m.id, input: { householdId: h2.id } });
    expect(moved.data!.updateMember).toMatchObject({ household: { id: h2.id }, householdRole: 'SPOUSE' });
    const role = await s.gql(UpdateMemberDocument, { id: m.id, input: { householdRole: 'CHILD' } });
    expect(role.data!.updateMember).toMatchObject({ household: { id: h2.id }, householdRole: 'CHILD' });
    const gone = await s.gql(UpdateMemberDocument, { id: m.id, input: { householdId: null } });
    expect(gone.errors).toBeUndefined();
    expect(gone.data!.updateMember).toMatchObject({ household: null, householdRole: null });
    expectBadInput(await s.gql(UpdateMemberDocument, { id: m.id, input: { householdId: null, householdRole: 'HEAD' } }), 'input.householdRole');
  });

  it("refuses another church's household and unknown or malformed ids", async () => {
    const m = await newMember({ firstName: 'Stay', lastName: 'Put' });
    const r = await s.gql(UpdateMemberDocument, { id: m.id, input: { householdId: String(b.householdIds[0]), householdRole: 'HEAD', firstName: 'Moved' } });
    expectNotFound(r, 'input.householdId');
    expect(await member(m.id)).toMatchObject({ firstName: 'Stay', household: null, householdRole: null });
    expectNotFound(await s.gql(UpdateMemberDocument, { id: '999999', input: { firstName: 'Ghost' } }), 'id');
    expectBadInput(await s.gql(UpdateMemberDocument, { id: 'abc', input: { firstName: 'Ghost' } }), 'id');
  });
});

// ---------------------------------------------------------------------------------------------
describe('archiveMember / restoreMember / member(id)', () => {
  it('member(id) returns household, groups and church', async () => {
    const id = String(a.memberIds[0]);
    const m = await member(id);
    expect(m.church).toEqual({ id: String(a.churchId), name: 'Alpha Church' });
    expect(m.household!.id).toBe(String(a.householdIds[0]));
    expect(m.household!.members.map((x) => x.id)).toEqual([String(a.memberIds[0]), String(a.memberIds[1])]);
    expect(m.householdRole).toBe('HEAD');
    expect(m.groups.map((g) => g.id).sort()).toEqual([String(a.groupIds[0]), String(a.groupIds[1])].sort());
    expect(m.groups.map((g) => g.name)).toEqual([...m.groups.map((g) => g.name)].sort());
    expect(m.archivedAt).toBeNull();
    expectNotFound(await s.gql(MemberDetailDocument, { id: '999999' }), 'id');
    expectBadInput(await s.gql(MemberDetailDocument, { id: 'abc' }), 'id');
  });

  it('archived members leave counts, the directory, households and groups; restore brings them back', async () => {
    const c = await seedChurch(s, { members: 4 });
    const victim = String(c.memberIds[1]); // spouse in household 0, in groups 1 and 2
    expect(await memberCount(c.churchId)).toBe(4);
    const groupBefore = (await s.gql(GroupDocument, { id: String(c.groupIds[1]) })).data!.group.memberCount;

    const r = await s.gql(ArchiveMemberDocument, { id: victim });
    expect(r.errors).toBeUndefined();
    const archivedAt = r.data!.archiveMember.archivedAt;
    expect(archivedAt).not.toBeNull();
    expect(await memberCount(c.churchId)).toBe(3);
    const dir = await s.gql(DirectoryPageDocument, { churchId: String(c.churchId), first: 100 });
    expect(dir.data!.members.totalCount).toBe(3);
    expect(dir.data!.members.edges.map((e) => e.node.id)).not.toContain(victim);
    const hh = await s.gql(HouseholdDocument, { id: String(c.householdIds[0]) });
    expect(hh.data!.household.members.map((x) => x.id)).toEqual([String(c.memberIds[0])]);
    const g = await s.gql(GroupDocument, { id: String(c.groupIds[1]) });
    expect(g.data!.group.memberCount).toBe(groupBefore - 1);
    expect(g.data!.group.members.edges.map((e) => e.node.id)).not.toContain(victim);
    // still readable by id, and archiving again keeps the first timestamp
    expect((await member(victim)).archivedAt).toBe(archivedAt);
    const twice = await s.gql(ArchiveMemberDocument, { id: victim });
    expect(twice.data!.archiveMember.archivedAt).toBe(archivedAt);

    const restored = await s.gql(RestoreMemberDocument, { id: victim });
    expect(restored.errors).toBeUndefined();
    expect(restored.data!.restoreMember.archivedAt).toBeNull();
    expect(await memberCount(c.churchId)).toBe(4);
    const g2 = await s.gql(GroupDocument, { id: String(c.groupIds[1]) });
    expect(g2.data!.group.memberCount).toBe(groupBefore);
  });

  it('NOT_FOUND for an unknown id, BAD_USER_INPUT for a malformed one', async () => {
    expectNotFound(await s.gql(ArchiveMemberDocument, { id: '999999' }), 'id');
    expectNotFound(await s.gql(RestoreMemberDocument, { id: '999999' }), 'id');
    expectBadInput(await s.gql(ArchiveMemberDocument, { id: 'abc' }), 'id');
    expectBadInput(await s.gql(RestoreMemberDocument, { id: 'abc' }), 'id');
  });
});

// ---------------------------------------------------------------------------------------------
describe('households', () => {
  it('creates, renames and reads a household', async () => {
    const h = await newHousehold(a.churchId, '  The Smiths ');
    expect(h).toEqual({ id: h.id, name: 'The Smiths', church: { id: String(a.churchId) } });
    const r = await s.gql(UpdateHouseholdDocument, { id: h.id, input: { name: 'The Smith-Joneses' } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.updateHousehold).toEqual({ id: h.id, name: 'The Smith-Joneses' });
    const same = await s.gql(UpdateHouseholdDocument, { id: h.id, input: {} });
    expect(same.data!.updateHousehold.name).toBe('The Smith-Joneses');
    const read = await s.gql(HouseholdDocument, { id: h.id });
    expect(read.data!.household).toEqual({ id: h.id, name: 'The Smith-Joneses', church: { id: String(a.churchId) }, members: [] });
  });

  it('rejects bad names and unknown ids, leaving data unchanged', async () => {
    const before = await householdCount(a.churchId);
    expectBadInput(await s.gql(CreateHouseholdDocument, { input: { churchId: String(a.churchId), name: '  ' } }), 'input.name');
    expectBadInput(await s.gql(CreateHouseholdDocument, { input: { churchId: String(a.churchId), name: 'n'.repeat(121) } }), 'input.name');
    expectNotFound(await s.gql(CreateHouseholdDocument, { input: { churchId: '999999', name: 'Ghosts' } }), 'input.churchId');
    expect(await householdCount(a.churchId)).toBe(before);

    const h = await newHousehold(a.churchId, 'Keep Me');
    expectBadInput(await s.gql(UpdateHouseholdDocument, { id: h.id, input: { name: '' } }), 'input.name');
    expectBadInput(await s.gql(UpdateHouseholdDocument, { id: h.id, input: { name: null } }), 'input.name');
    expect((await s.gql(HouseholdDocument, { id: h.id })).data!.household.name).toBe('Keep Me');
    expectNotFound(await s.gql(UpdateHouseholdDocument, { id: '999999', input: { name: 'X' } }), 'id');
    expectNotFound(await s.gql(HouseholdDocument, { id: '999999' }), 'id');
    expectBadInput(await s.gql(HouseholdDocument, { id: 'abc' }), 'id');
  });

  it('lists members head first, then spouse, children (oldest first) and others', async () => {
    const h = await newHousehold(a.churchId, 'Ordering Family');
    const mk = (firstName: string, householdRole: CreateMemberInput['householdRole'], birthDate?: string) =>
      newMember({ firstName, lastName: 'Order', householdId: h.id, householdRole, birthDate });
    // created out of order on purpose
    const other = await mk('Otis', 'OTHER');
    const young = await mk('Young', 'CHILD', '2015-04-01');
    const none = await mk('Norole', null);
    const spouse = await mk('Sam', 'SPOUSE');
    const old = await mk('Older', 'CHILD', '2010-09-09');
    const head = await mk('Hank', 'HEAD');
    const r = await s.gql(HouseholdDocument, { id: h.id });
    expect(r.errors).toBeUndefined();
    expect(r.data!.household.members.map((m) => m.id)).toEqual([head.id, spouse.id, old.id, young.id, other.id, none.id]);
    expect(r.data!.household.members.map((m) => m.householdRole)).toEqual(['HEAD', 'SPOUSE', 'CHILD', 'CHILD', 'OTHER', null]);
  });

  it('households(churchId): name order, paging and church scoping', async () => {
    const c = await seedChurch(s, { members: 10 }); // 5 households
    await newHousehold(c.churchId, 'aardvark House');
    const all = await s.gql(HouseholdsDocument, { churchId: String(c.churchId), first: 100 });
    expect(all.errors).toBeUndefined();
    expect(all.data!.households.totalCount).toBe(6);
    const names = all.data!.households.nodes.map((h) => h.name);
    expect(names[0]).toBe('aardvark House');
    expect(names.map((n) => n.toLowerCase())).toEqual([...names].map((n) => n.toLowerCase()).sort());
    const p1 = await s.gql(HouseholdsDocument, { churchId: String(c.churchId), first: 4 });
    expect(p1.data!.households.pageInfo.hasNextPage).toBe(true);
    const p2 = await s.gql(HouseholdsDocument, { churchId: String(c.churchId), first: 4, after: p1.data!.households.pageInfo.endCursor });
    expect(p2.data!.households.pageInfo.hasNextPage).toBe(false);
    expect([...p1.data!.households.nodes, ...p2.data!.households.nodes].map((h) => h.id)).toEqual(all.data!.households.nodes.map((h) => h.id));
    expectBadInput(await s.gql(HouseholdsDocument, { churchId: String(c.churchId), after: 'bogus' }), 'after');
    expectNotFound(await s.gql(HouseholdsDocument, { churchId: '999999' }), 'churchId');
  });
});

// ---------------------------------------------------------------------------------------------
describe('groups', () => {
  it('creates a group with kind SMALL_GROUP by default, or the kind given', async () => {
    const g = await newGroup(a.churchId, '  Tuesday Bible Study ');
    expect(g).toMatchObject({ name: 'Tuesday Bible Study', kind: 'SMALL_GROUP', description: null, church: { id: String(a.churchId) } });
    const t = await s.gql(CreateGroupDocument, {
      input: { churchId: String(a.churchId), name: 'Worship Team', kind: 'TEAM', description: 'Sunday band' },
    });
    expect(t.errors).toBeUndefined();
    expect(t.data!.createGroup).toMatchObject({ kind: 'TEAM', description: 'Sunday band' });
    const read = await s.gql(GroupDocument, { id: t.data!.createGroup.id });
    expect(read.data!.group).toMatchObject({ name: 'Worship Team', kind: 'TEAM', memberCount: 0, church: { id: String(a.churchId) } });
  });

  it('requires a name and rejects bad input or an unknown church', async () => {
    const before = (await s.gql(GroupsDocument, { churchId: String(a.churchId), first: 1 })).data!.groups.totalCount;
    expectBadInput(await s.gql(CreateGroupDocument, { input: { churchId: String(a.churchId), name: '   ' } }), 'input.name');
    expectBadInput(await s.gql(CreateGroupDocument, { input: { churchId: String(a.churchId), name: 'g'.repeat(121) } }), 'input.name');
    expectBadInput(
      await s.gql(CreateGroupDocument, { input: { churchId: String(a.churchId), name: 'Ok', description: 'd'.repeat(2001) } }),
      'input.description',
    );
    const missing = await s.gql(`mutation($c: ID!) { createGroup(input: { churchId: $c }) { id } }`, { c: String(a.churchId) });
    expect(firstError(missing).extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expectNotFound(await s.gql(CreateGroupDocument, { input: { churchId: '999999', name: 'Ghost Group' } }), 'input.churchId');
    const after = (await s.gql(GroupsDocument, { churchId: String(a.churchId), first: 1 })).data!.groups.totalCount;
    expect(after).toBe(before);
  });

  it('updates only the fields given and rejects bad updates', async () => {
    const g = await newGroup(a.churchId, 'Choir');
    const d = await s.gql(UpdateGroupDocument, { id: g.id, input: { description: 'Sings' } });
    expect(d.data!.updateGroup).toEqual({ id: g.id, name: 'Choir', kind: 'SMALL_GROUP', description: 'Sings' });
    const k = await s.gql(UpdateGroupDocument, { id: g.id, input: { kind: 'MINISTRY', name: 'Chancel Choir' } });
    expect(k.data!.updateGroup).toEqual({ id: g.id, name: 'Chancel Choir', kind: 'MINISTRY', description: 'Sings' });
    const cleared = await s.gql(UpdateGroupDocument, { id: g.id, input: { description: null } });
    expect(cleared.data!.updateGroup).toEqual({ id: g.id, name: 'Chancel Choir', kind: 'MINISTRY', description: null });
    expectBadInput(await s.gql(UpdateGroupDocument, { id: g.id, input: { name: '' } }), 'input.name');
    expectBadInput(await s.gql(UpdateGroupDocument, { id: g.id, input: { name: null } }), 'input.name');
    expectBadInput(await s.gql(UpdateGroupDocument, { id: g.id, input: { kind: null } }), 'input.kind');
    expectNotFound(await s.gql(UpdateGroupDocument, { id: '999999', input: { name: 'X' } }), 'id');
    const read = await s.gql(GroupDocument, { id: g.id });
    expect(read.data!.group).toMatchObject({ name: 'Chancel Choir', kind: 'MINISTRY' });
  });

  it('group(id) and groups(churchId): lookups, name order, paging', async () => {
    expectNotFound(await s.gql(GroupDocument, { id: '999999' }), 'id');
    expectBadInput(await s.gql(GroupDocument, { id: 'abc' }), 'id');
    const c = await seedChurch(s, { members: 0 }); // groups A, B, C
    await newGroup(c.churchId, 'alpha Youth');
    const all = await s.gql(GroupsDocument, { churchId: String(c.churchId), first: 100 });
    expect(all.errors).toBeUndefined();
    expect(all.data!.groups.totalCount).toBe(4);
    expect(all.data!.groups.nodes.map((g) => g.name)).toEqual(['alpha Youth', 'Group A', 'Group B', 'Group C']);
    const p1 = await s.gql(GroupsDocument, { churchId: String(c.churchId), first: 3 });
    const p2 = await s.gql(GroupsDocument, { churchId: String(c.churchId), first: 3, after: p1.data!.groups.pageInfo.endCursor });
    expect(p2.data!.groups.nodes.map((g) => g.name)).toEqual(['Group C']);
    expect(p2.data!.groups.pageInfo.hasNextPage).toBe(false);
    expectBadInput(await s.gql(GroupsDocument, { churchId: String(c.churchId), after: 'bogus' }), 'after');
    expectNotFound(await s.gql(GroupsDocument, { churchId: '999999' }), 'churchId');
  });
});

// ---------------------------------------------------------------------------------------------
describe('group membership', () => {
  let groupId: string;
  let m1: string;
  let m2: string;

  beforeAll(async () => {
    groupId = (await newGroup(a.churchId, 'Membership Group')).id;
    m1 = (await newMember({ firstName: 'Gil', lastName: 'Groupie' })).id;
    m2 = (await newMember({ firstName: 'Lea', lastName: 'Leader' })).id;
  });

  it('adds a member with role MEMBER and joinedOn today by default', async () => {
    const r = await s.gql(AddGroupMemberDocument, { input: { groupId, memberId: m1 } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.addGroupMember).toMatchObject({ role: 'MEMBER', joinedOn: today(), group: { id: groupId, memberCount: 1 } });
    expect(r.data!.addGroupMember.member.groups.map((g) => g.id)).toContain(groupId);
  });

  it('adding again with LEADER changes the role without a second membership', async () => {
    const first = await s.gql(AddGroupMemberDocument, { input: { groupId, memberId: m2, joinedOn: '2020-05-01' } });
    expect(first.data!.addGroupMember).toMatchObject({ role: 'MEMBER', joinedOn: '2020-05-01', group: { memberCount: 2 } });
    const again = await s.gql(AddGroupMemberDocument, { input: { groupId, memberId: m2, role: 'LEADER' } });
    expect(again.errors).toBeUndefined();
    expect(again.data!.addGroupMember).toMatchObject({ role: 'LEADER', group: { memberCount: 2 } });
    expect(again.data!.addGroupMember.member.groups.filter((g) => g.id === groupId)).toHaveLength(1);
    const g = await s.gql(GroupDocument, { id: groupId, first: 10 });
    const edges = g.data!.group.members.edges.filter((e) => e.node.id === m2);
    expect(edges).toHaveLength(1);
    expect(edges[0]!.role).toBe('LEADER');
    expect(await membershipRows(m2)).toBe(1);
  });

  it('changing the role keeps the original joinedOn', async () => {
    // m2 joined on 2020-05-01 (previous test); a role change is not a new membership
    const g = await s.gql(GroupDocument, { id: groupId, first: 10 });
    const edge = g.data!.group.members.edges.find((e) => e.node.id === m2)!;
    expect(edge.role).toBe('LEADER');
    expect(edge.joinedOn).toBe('2020-05-01');
  });

  it("answers NOT_FOUND for another church's member and writes nothing, leaking nothing", async () => {
    const outsider = String(b.memberIds[2]);
    const outsiderRows = await membershipRows(outsider);
    const before = (await s.gql(GroupDocument, { id: groupId })).data!.group.memberCount;
    const r = await s.gql(AddGroupMemberDocument, { input: { groupId, memberId: outsider, role: 'LEADER' } });
    const e = expectNotFound(r, 'input.memberId');
    const outsiderDetail = await member(outsider);
    for (const secret of [outsiderDetail.firstName + ' ' + outsiderDetail.lastName, outsiderDetail.email!, 'Bethel']) {
      expect(JSON.stringify(r)).not.toContain(secret);
    }
    expect(e.message).not.toContain(outsiderDetail.lastName);
    expect((await s.gql(GroupDocument, { id: groupId })).data!.group.memberCount).toBe(before);
    expect(await membershipRows(outsider)).toBe(outsiderRows);

    // the other way round: a's member into b's group
    const r2 = await s.gql(AddGroupMemberDocument, { input: { groupId: String(b.groupIds[0]), memberId: m1 } });
    expect(firstError(r2).extensions!.code).toBe('NOT_FOUND');
    expect(await membershipRows(m1)).toBe(1);
  });

  it('rejects unknown, malformed and archived members and unknown groups', async () => {
    expectNotFound(await s.gql(AddGroupMemberDocument, { input: { groupId, memberId: '999999' } }), 'input.memberId');
    expectBadInput(await s.gql(AddGroupMemberDocument, { input: { groupId, memberId: 'abc' } }), 'input.memberId');
    expectNotFound(await s.gql(AddGroupMemberDocument, { input: { groupId: '999999', memberId: m1 } }), 'input.groupId');
    const ghost = (await newMember({ firstName: 'Archie', lastName: 'Archived' })).id;
    await s.gql(ArchiveMemberDocument, { id: ghost });
    const before = (await s.gql(GroupDocument, { id: groupId })).data!.group.memberCount;
    expectBadInput(await s.gql(AddGroupMemberDocument, { input: { groupId, memberId: ghost } }), 'input.memberId');
    expect(await membershipRows(ghost)).toBe(0);
    expect((await s.gql(GroupDocument, { id: groupId })).data!.group.memberCount).toBe(before);
  });

  it('removes a member: memberCount decreases, removing again is NOT_FOUND', async () => {
    const before = (await s.gql(GroupDocument, { id: groupId })).data!.group.memberCount;
    const r = await s.gql(RemoveGroupMemberDocument, { groupId, memberId: m1 });
    expect(r.errors).toBeUndefined();
    expect(r.data!.removeGroupMember).toMatchObject({ role: null, group: { id: groupId, memberCount: before - 1 } });
    expect(r.data!.removeGroupMember.member.groups.map((g) => g.id)).not.toContain(groupId);
    expect(await membershipRows(m1)).toBe(0);
    const again = await s.gql(RemoveGroupMemberDocument, { groupId, memberId: m1 });
    expect(firstError(again).extensions!.code).toBe('NOT_FOUND');
    expect(again.data ?? null).toBeNull();
    expect((await s.gql(GroupDocument, { id: groupId })).data!.group.memberCount).toBe(before - 1);
  });

  it('removeGroupMember names its own arguments in errors', async () => {
    expectNotFound(await s.gql(RemoveGroupMemberDocument, { groupId, memberId: String(b.memberIds[0]) }), 'memberId');
    expectNotFound(await s.gql(RemoveGroupMemberDocument, { groupId: '999999', memberId: m2 }), 'groupId');
  });

  it('Group.members pages by name with role and joinedOn on each edge', async () => {
    const g = (await newGroup(a.churchId, 'Paged Group')).id;
    const people = [
      ['Cy', 'Carter', 'MEMBER', '2021-01-03'],
      ['Al', 'Abbot', 'LEADER', '2019-07-04'],
      ['Eli', 'Evans', 'MEMBER', '2022-12-25'],
      ['Bo', 'Baker', 'MEMBER', '2020-02-29'],
      ['Di', 'Dunn', 'LEADER', '2018-10-31'],
    ] as const;
    const ids: Record<string, string> = {};
    for (const [firstName, lastName, role, joinedOn] of people) {
      const id = (await newMember({ firstName, lastName })).id;
      ids[lastName] = id;
      const r = await s.gql(AddGroupMemberDocument, { input: { groupId: g, memberId: id, role, joinedOn } });
      expect(r.errors).toBeUndefined();
    }
    const p1 = await s.gql(GroupDocument, { id: g, first: 2 });
    expect(p1.errors).toBeUndefined();
    const c1 = p1.data!.group.members;
    expect(c1.totalCount).toBe(5);
    expect(c1.pageInfo.hasNextPage).toBe(true);
    expect(c1.edges.map((e) => [e.node.lastName, e.role, e.joinedOn])).toEqual([
      ['Abbot', 'LEADER', '2019-07-04'],
      ['Baker', 'MEMBER', '2020-02-29'],
    ]);
    const p2 = await s.gql(GroupDocument, { id: g, first: 2, after: c1.pageInfo.endCursor });
    const p3 = await s.gql(GroupDocument, { id: g, first: 2, after: p2.data!.group.members.pageInfo.endCursor });
    expect(p2.data!.group.members.edges.map((e) => [e.node.lastName, e.role, e.joinedOn])).toEqual([
      ['Carter', 'MEMBER', '2021-01-03'],
      ['Dunn', 'LEADER', '2018-10-31'],
    ]);
    expect(p3.data!.group.members.edges.map((e) => e.node.lastName)).toEqual(['Evans']);
    expect(p3.data!.group.members.pageInfo.hasNextPage).toBe(false);

    await s.gql(ArchiveMemberDocument, { id: ids.Baker! });
    const after = await s.gql(GroupDocument, { id: g, first: 10 });
    expect(after.data!.group.memberCount).toBe(4);
    expect(after.data!.group.members.totalCount).toBe(4);
    expect(after.data!.group.members.edges.map((e) => e.node.lastName)).toEqual(['Abbot', 'Carter', 'Dunn', 'Evans']);

    expectBadInput(await s.gql(GroupDocument, { id: g, after: 'bogus' }), 'after');
    expectBadInput(await s.gql(GroupDocument, { id: g, first: 101 }), 'first');
  });
});

// ---------------------------------------------------------------------------------------------
describe('nested NOT_FOUND', () => {
  it("a nested field pointing at another church's household fails without revealing it", async () => {
    const secretHousehold = await newHousehold(b.churchId, 'Xanthippe Private Residence');
    const r = await s.gql(
      `query($id: ID!, $h: ID!) { church(id: $id) { id name members(filter: { householdId: $h }) { totalCount nodes { id firstName lastName household { name } } } } }`,
      { id: String(a.churchId), h: secretHousehold.id },
    );
    const e = firstError(r);
    expect(e.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'filter.householdId' });
    expect(e.path).toEqual(['church', 'members']);
    expect(r.data ?? null).toBeNull();
    const body = JSON.stringify(r);
    expect(body).not.toContain('Xanthippe');
    expect(body).not.toContain('Bethel');
    expect(e.message).toBe(`Household ${secretHousehold.id} not found`);
  });
});
