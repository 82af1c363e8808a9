import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type GqlResult, type TestServer } from './helpers/server.js';
import { scansOf, seqScanOn } from './helpers/plans.js';

let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;
let sql: postgres.Sql;
const ids: Record<string, string> = {};

const CREATE = `mutation($input: CreateCustomFieldInput!) { createCustomField(input: $input) { id name type required position choices archivedAt } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateCustomFieldInput!) { updateCustomField(id: $id, input: $input) { id name required choices } }`;
const SET = `mutation($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) {
  id customFields { isSet text number date yesNo choice choices field { id name type } } } }`;
const NEW_MEMBER = `mutation($input: CreateMemberInput!) { createMember(input: $input) { id customFields { isSet field { name } text choice } } }`;
const PAGE = `query($c: ID!, $first: Int, $after: String, $filter: MemberFilter, $o: CustomFieldOrder) {
  members(churchId: $c, first: $first, after: $after, filter: $filter, orderByField: $o) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id firstName lastName } } }`;

function err(r: GqlResult<unknown>) {
  expect(r.errors, JSON.stringify(r.data)).toBeDefined();
  return r.errors![0]!;
}
async function field(input: Record<string, unknown>): Promise<string> {
  const r = await s.gql(CREATE, { input: { churchId: String(a.churchId), ...input } });
  expect(r.errors).toBeUndefined();
  return r.data.createCustomField.id;
}
const member = (i: number) => String(a.memberIds[i]!);

beforeAll(async () => {
  s = await startTestServer('custom-fields', { CACHE_ENABLED: 'false' });
  sql = postgres(s.config.db.url!, { max: 1, onnotice: () => {} });
  a = await seedChurch(s, { members: 12 });
  b = await seedChurch(s, { members: 3 });
  ids.text = await field({ name: 'Allergies', type: 'TEXT' });
  ids.number = await field({ name: 'Years serving', type: 'NUMBER' });
  ids.date = await field({ name: 'Baptism date', type: 'DATE' });
  ids.yesNo = await field({ name: 'Background check', type: 'YES_NO' });
  ids.single = await field({ name: 'T-shirt size', type: 'SINGLE_CHOICE', choices: ['S', 'M', 'L', 'XL'] });
  ids.multi = await field({ name: 'Gifts', type: 'MULTIPLE_CHOICE', choices: ['Music', 'Teaching', 'Hospitality'] });
});
afterAll(async () => {
  await sql.end();
  await s.close();
});

describe('custom field definitions', () => {
  it('lists the fields in order, with their church', async () => {
    const r = await s.gql(`query($c: ID!) { customFields(churchId: $c) { name type position choices missingCount } church(id: $c) { customFields { id } } }`, { c: String(a.churchId) });
    expect(r.errors).toBeUndefined();
    expect(r.data.customFields.map((f: { name: string }) => f.name)).toEqual(['Allergies', 'Years serving', 'Baptism date', 'Background check', 'T-shirt size', 'Gifts']);
    expect(r.data.customFields[4].choices).toEqual(['S', 'M', 'L', 'XL']);
    expect(r.data.customFields[0].missingCount).toBe(12);
    expect(r.data.church.customFields).toHaveLength(6);
  });

  it('refuses bad definitions, naming the input field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '', type: 'TEXT' }, 'input.name'],
      [{ name: 'x'.repeat(81), type: 'TEXT' }, 'input.name'],
      [{ name: 'Allergies', type: 'TEXT' }, 'input.name'], // taken
      [{ name: 'ALLERGIES', type: 'NUMBER' }, 'input.name'], // case-insensitive
      [{ name: 'Size', type: 'SINGLE_CHOICE' }, 'input.choices'],
      [{ name: 'Size', type: 'SINGLE_CHOICE', choices: ['S', 's'] }, 'input.choices[1]'],
      [{ name: 'Size', type: 'MULTIPLE_CHOICE', choices: Array.from({ length: 51 }, (_, i) => `c${i}`) }, 'input.choices'],
      [{ name: 'Size', type: 'TEXT', choices: ['S'] }, 'input.choices'],
      [{ name: 'Nul\u0000', type: 'TEXT' }, 'input.name'],
      [{ name: 'Pos', type: 'TEXT', position: -1 }, 'input.position'],
    ];
    for (const [input, fieldName] of cases) {
      const e = err(await s.gql(CREATE, { input: { churchId: String(a.churchId), ...input } }));
      expect(e.extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(e.extensions?.field, JSON.stringify(input)).toBe(fieldName);
    }
    const n = await sql`SELECT count(*)::int AS n FROM custom_fields WHERE church_id = ${a.churchId}`;
    expect(n[0]!.n).toBe(6);
  });

  it('needs ADMIN to manage fields; STAFF may write values', async () => {
    const staff = await s.userWith('cf-staff@steeple.test', [[a.churchId, 'staff']]);
    const viewer = await s.userWith('cf-viewer@steeple.test', [[a.churchId, 'viewer']]);
    expect(err(await s.gql(CREATE, { input: { churchId: String(a.churchId), name: 'Staff made', type: 'TEXT' } }, staff.headers)).extensions?.code).toBe('FORBIDDEN');
    expect(err(await s.gql(UPDATE, { id: ids.text, input: { name: 'Renamed' } }, staff.headers)).extensions?.code).toBe('FORBIDDEN');
    expect(err(await s.gql(`mutation($id: ID!) { archiveCustomField(id: $id) { id } }`, { id: ids.text }, staff.headers)).extensions?.code).toBe('FORBIDDEN');
    const ok = await s.gql(SET, { id: member(11), input: { customFields: [{ fieldId: ids.text, text: 'peanuts' }] } }, staff.headers);
    expect(ok.errors).toBeUndefined();
    expect(err(await s.gql(SET, { id: member(11), input: { customFields: [{ fieldId: ids.text, text: 'none' }] } }, viewer.headers)).extensions?.code).toBe('FORBIDDEN');
    const read = await s.gql(`query($id: ID!) { member(id: $id) { customFields { text field { id } } } }`, { id: member(11) }, viewer.headers);
    expect(read.data.member.customFields.find((v: { field: { id: string } }) => v.field.id === ids.text).text).toBe('peanuts');
    // another church's ADMIN cannot see or touch A's fields
    const other = await s.userWith('cf-other@steeple.test', [[b.churchId, 'admin']]);
    expect(err(await s.gql(UPDATE, { id: ids.text, input: { name: 'Stolen' } }, other.headers)).extensions?.code).toBe('NOT_FOUND');
    expect(err(await s.gql(`query($c: ID!) { customFields(churchId: $c) { id } }`, { c: String(a.churchId) }, other.headers)).extensions?.code).toBe('NOT_FOUND');
    // and A's field cannot be written on B's member
    const cross = await s.gql(SET, { id: String(b.memberIds[0]), input: { customFields: [{ fieldId: ids.text, text: 'x' }] } });
    expect(err(cross).extensions?.field).toBe('input.customFields[0].fieldId');
  });
});

describe('values are validated by type', () => {
  it('stores and reads each type', async () => {
    const r = await s.gql(SET, {
      id: member(0),
      input: {
        customFields: [
          { fieldId: ids.text, text: '  shellfish ' },
          { fieldId: ids.number, number: 12.5 },
          { fieldId: ids.date, date: '2019-04-21' },
          { fieldId: ids.yesNo, yesNo: true },
          { fieldId: ids.single, choice: 'xl' },
          { fieldId: ids.multi, choices: ['Teaching', 'music'] },
        ],
      },
    });
    expect(r.errors).toBeUndefined();
    const v = Object.fromEntries(r.data.updateMember.customFields.map((x: { field: { type: string } }) => [x.field.type, x]));
    expect(v.TEXT.text).toBe('shellfish');
    expect(v.NUMBER.number).toBe(12.5);
    expect(v.DATE.date).toBe('2019-04-21');
    expect(v.YES_NO.yesNo).toBe(true);
    expect(v.SINGLE_CHOICE.choice).toBe('XL'); // stored as the field spells it
    expect(v.MULTIPLE_CHOICE.choices).toEqual(['Music', 'Teaching']); // in the field's order
    expect(v.TEXT.number).toBeNull();
  });

  it('refuses a value of the wrong type, an unknown choice, a bad date, twice the same field: nothing written', async () => {
    const before = await sql`SELECT count(*)::int AS n FROM member_field_values WHERE member_id = ${a.memberIds[1]!}`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ fieldId: ids.number, text: 'twelve' }, 'input.customFields[0].text'],
      [{ fieldId: ids.text, number: 3 }, 'input.customFields[0].number'],
      [{ fieldId: ids.date, date: '1700-02-01' }, 'input.customFields[0].date'],
      [{ fieldId: ids.single, choice: 'XXL' }, 'input.customFields[0].choice'],
      [{ fieldId: ids.single, choices: ['S'] }, 'input.customFields[0].choices'],
      [{ fieldId: ids.multi, choices: ['Music', 'Juggling'] }, 'input.customFields[0].choices[1]'],
      [{ fieldId: ids.number, number: 1e300 }, 'input.customFields[0].number'],
      [{ fieldId: ids.text, text: 'x'.repeat(1001) }, 'input.customFields[0].text'],
      [{ fieldId: ids.text, text: 'bad\u0000' }, 'input.customFields[0].text'],
      [{ fieldId: '999999' }, 'input.customFields[0].fieldId'],
      [{ fieldId: 'abc', text: 'x' }, 'input.customFields[0].fieldId'],
    ];
    for (const [value, path] of cases) {
      const e = err(await s.gql(SET, { id: member(1), input: { firstName: 'Changed', customFields: [{ fieldId: ids.text, text: 'ok' }, value].slice(1) } }));
      expect(e.extensions?.code, JSON.stringify(value)).toBe('BAD_USER_INPUT');
      expect(e.extensions?.field, JSON.stringify(value)).toBe(path);
    }
    const twice = err(await s.gql(SET, { id: member(1), input: { customFields: [{ fieldId: ids.text, text: 'a' }, { fieldId: ids.text, text: 'b' }] } }));
    expect(twice.extensions?.field).toBe('input.customFields[1].fieldId');
    const after = await sql`SELECT count(*)::int AS n FROM member_field_values WHERE member_id = ${a.memberIds[1]!}`;
    expect(after[0]!.n).toBe(before[0]!.n);
    const [m] = await sql`SELECT first_name FROM members WHERE id = ${a.memberIds[1]!}`;
    expect(m!.first_name).not.toBe('Changed');
  });

  it('clears a value when no slot is given', async () => {
    await s.gql(SET, { id: member(2), input: { customFields: [{ fieldId: ids.text, text: 'dairy' }] } });
    const r = await s.gql(SET, { id: member(2), input: { customFields: [{ fieldId: ids.text, text: null }] } });
    expect(r.errors).toBeUndefined();
    expect(r.data.updateMember.customFields.find((x: { field: { id: string } }) => x.field.id === ids.text).isSet).toBe(false);
  });

  it('required: enforced on create and against clearing; existing people without it still update', async () => {
    const req = await field({ name: 'Campus', type: 'SINGLE_CHOICE', choices: ['North', 'South'] });
    await s.gql(SET, { id: member(3), input: { customFields: [{ fieldId: req, choice: 'North' }] } });
    const up = await s.gql(UPDATE, { id: req, input: { required: true } });
    expect(up.errors).toBeUndefined();
    const base = { churchId: String(a.churchId), firstName: 'New', lastName: 'Person' };
    const missing = err(await s.gql(NEW_MEMBER, { input: base }));
    expect(missing.extensions?.field).toBe('input.customFields');
    expect(missing.message).toContain('Campus');
    const created = await s.gql(NEW_MEMBER, { input: { ...base, customFields: [{ fieldId: req, choice: 'south' }] } });
    expect(created.errors).toBeUndefined();
    expect(created.data.createMember.customFields.find((x: { field: { name: string } }) => x.field.name === 'Campus').choice).toBe('South');
    expect(err(await s.gql(SET, { id: member(3), input: { customFields: [{ fieldId: req }] } })).extensions?.field).toBe('input.customFields[0]');
    // someone who never had it can still be edited
    expect((await s.gql(SET, { id: member(4), input: { lastName: 'Edited' } })).errors).toBeUndefined();
    const c = await s.gql(`query($c: ID!) { customFields(churchId: $c) { id missingCount } }`, { c: String(a.churchId) });
    expect(c.data.customFields.find((f: { id: string }) => f.id === req).missingCount).toBe(12 - 1);
    await s.gql(`mutation($id: ID!) { archiveCustomField(id: $id) { id } }`, { id: req });
    // archived: not required any more, hidden from people, refused as a value
    expect((await s.gql(NEW_MEMBER, { input: { ...base, firstName: 'Other' } })).errors).toBeUndefined();
    expect(err(await s.gql(SET, { id: member(3), input: { customFields: [{ fieldId: req, choice: 'North' }] } })).message).toContain('archived');
    const list = await s.gql(`query($c: ID!) { customFields(churchId: $c, includeArchived: true) { id archivedAt } }`, { c: String(a.churchId) });
    expect(list.data.customFields.find((f: { id: string }) => f.id === req).archivedAt).not.toBeNull();
    await s.gql(`mutation($id: ID!) { restoreCustomField(id: $id) { id } }`, { id: req });
    await s.gql(UPDATE, { id: req, input: { required: false } });
    await s.gql(`mutation($id: ID!) { archiveCustomField(id: $id) { id } }`, { id: req });
  });

  it('choices: a choice in use cannot be dropped; a rename follows into the answers', async () => {
    await s.gql(SET, { id: member(5), input: { customFields: [{ fieldId: ids.single, choice: 'M' }, { fieldId: ids.multi, choices: ['Hospitality'] }] } });
    const drop = err(await s.gql(UPDATE, { id: ids.single, input: { choices: ['S', 'L', 'XL'] } }));
    expect(drop.extensions?.field).toBe('input.choices');
    expect(drop.message).toMatch(/"M", which 1 person has/);
    const r = await s.gql(UPDATE, { id: ids.multi, input: { renameChoices: [{ from: 'hospitality', to: 'Welcome' }] } });
    expect(r.errors).toBeUndefined();
    expect(r.data.updateCustomField.choices).toEqual(['Music', 'Teaching', 'Welcome']);
    const [v] = await sql`SELECT value_choices FROM member_field_values WHERE member_id = ${a.memberIds[5]!} AND field_id = ${Number(ids.multi)}`;
    expect(v!.value_choices).toEqual(['Welcome']);
    expect(err(await s.gql(UPDATE, { id: ids.multi, input: { renameChoices: [{ from: 'Nope', to: 'X' }] } })).extensions?.field).toBe('input.renameChoices[0].from');
  });
});

describe('the directory filtered and ordered by a custom field', () => {
  beforeAll(async () => {
    // years serving: member i has i*2 (members 0..9), 10 and 11 have none
    for (let i = 0; i < 10; i++) {
      const r = await s.gql(SET, { id: member(i), input: { customFields: [{ fieldId: ids.number, number: i * 2 }, { fieldId: ids.yesNo, yesNo: i % 2 === 0 }] } });
      expect(r.errors).toBeUndefined();
    }
  });
  const c = () => String(a.churchId);

  it('filters by number range, yes/no, choice, set / not set', async () => {
    const range = await s.gql(PAGE, { c: c(), first: 50, filter: { customFields: [{ fieldId: ids.number, min: 4, max: 9 }] } });
    expect(range.errors).toBeUndefined();
    expect(range.data.members.nodes.map((n: { id: string }) => n.id).sort()).toEqual([member(2), member(3), member(4)].sort());
    expect(range.data.members.totalCount).toBe(3);
    const both = await s.gql(PAGE, { c: c(), first: 50, filter: { customFields: [{ fieldId: ids.number, min: 4 }, { fieldId: ids.yesNo, yesNo: true }] } });
    expect(both.data.members.nodes.map((n: { id: string }) => n.id).sort()).toEqual([member(2), member(4), member(6), member(8)].sort());
    const unset = await s.gql(PAGE, { c: c(), first: 50, filter: { customFields: [{ fieldId: ids.number, isSet: false }] } });
    const unsetIds = unset.data.members.nodes.map((n: { id: string }) => n.id);
    expect(unsetIds).toEqual(expect.arrayContaining([member(10), member(11)]));
    expect(unsetIds.filter((id: string) => a.memberIds.slice(0, 10).map(String).includes(id))).toEqual([]);
    const choice = await s.gql(PAGE, { c: c(), first: 50, filter: { customFields: [{ fieldId: ids.multi, anyOf: ['welcome', 'Music'] }] } });
    expect(choice.data.members.nodes.map((n: { id: string }) => n.id).sort()).toEqual([member(0), member(5)].sort());
    const all = await s.gql(PAGE, { c: c(), first: 50, filter: { customFields: [{ fieldId: ids.multi, allOf: ['Music', 'Teaching'] }] } });
    expect(all.data.members.nodes.map((n: { id: string }) => n.id)).toEqual([member(0)]);
  });

  it('refuses a condition that does not fit the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ fieldId: ids.text, min: 3 }, 'filter.customFields[0].min'],
      [{ fieldId: ids.number, min: 1, yesNo: true }, 'filter.customFields[0]'],
      [{ fieldId: ids.number }, 'filter.customFields[0]'],
      [{ fieldId: ids.single, anyOf: ['XXL'] }, 'filter.customFields[0].anyOf[0]'],
      [{ fieldId: ids.single, allOf: ['S'] }, 'filter.customFields[0].allOf'],
      [{ fieldId: ids.number, from: '2020-01-01' }, 'filter.customFields[0].from'],
      [{ fieldId: String(9_999_999), isSet: true }, 'filter.customFields[0].fieldId'],
    ];
    for (const [f, path] of cases) {
      const e = err(await s.gql(PAGE, { c: c(), first: 5, filter: { customFields: [f] } }));
      expect(e.extensions?.code, JSON.stringify(f)).toBe('BAD_USER_INPUT');
      expect(e.extensions?.field, JSON.stringify(f)).toBe(path);
    }
    const tooMany = err(await s.gql(PAGE, { c: c(), first: 5, filter: { customFields: Array.from({ length: 11 }, () => ({ fieldId: ids.number, isSet: true })) } }));
    expect(tooMany.extensions?.field).toBe('filter.customFields');
    expect(err(await s.gql(PAGE, { c: c(), first: 5, o: { fieldId: ids.multi } })).extensions?.field).toBe('orderByField.fieldId');
  });

  it('orders by the field, keyset-paged: valued ones by value, then the rest by name', async () => {
    for (const descending of [false, true]) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const r: GqlResult<any> = await s.gql(PAGE, { c: c(), first: 3, after, o: { fieldId: ids.number, descending } });
        expect(r.errors).toBeUndefined();
        seen.push(...r.data.members.nodes.map((n: { id: string }) => n.id));
        if (!r.data.members.pageInfo.hasNextPage) break;
        after = r.data.members.pageInfo.endCursor;
      }
      const valued = Array.from({ length: 10 }, (_, i) => member(i));
      expect(seen.slice(0, 10)).toEqual(descending ? valued.reverse() : valued);
      expect(seen.slice(10).sort()).toEqual([member(10), member(11), ...seen.slice(12)].sort());
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(14); // 12 seeded + 2 created above
    }
    const bad = Buffer.from(JSON.stringify([`FIELD:${ids.number}:A`, 0, "1; DROP TABLE members", '', 5])).toString('base64url');
    expect(err(await s.gql(PAGE, { c: c(), first: 3, after: bad, o: { fieldId: ids.number } })).extensions?.field).toBe('after');
  });
});

describe('EXPLAIN: filter and sort by a custom field use its index (500 churches × 400 members scale)', () => {
  let fieldId: number;
  let churchId: number;
  beforeAll(async () => {
    // bench scale without the API: 200,000 members with a number field each in 500 churches
    await sql`INSERT INTO churches (name, slug, time_zone) SELECT 'Bench ' || c, 'bench-cf-' || c, 'America/Chicago' FROM generate_series(1, 500) c`;
    await sql`INSERT INTO members (church_id, first_name, last_name, status)
      SELECT ch.id, 'F' || i, 'L' || (i % 97), 'member' FROM churches ch, generate_series(1, 400) i WHERE ch.slug LIKE 'bench-cf-%'`;
    await sql`INSERT INTO custom_fields (church_id, name, type) SELECT id, 'Years', 'number' FROM churches WHERE slug LIKE 'bench-cf-%'`;
    await sql`INSERT INTO member_field_values (church_id, member_id, field_id, value_number)
      SELECT m.church_id, m.id, f.id, (m.id * 7919) % 60 FROM members m JOIN custom_fields f ON f.church_id = m.church_id AND f.name = 'Years'
      WHERE m.id % 4 <> 0`;
    await sql`ANALYZE`;
    const [f] = await sql`SELECT f.id, f.church_id FROM custom_fields f JOIN churches c ON c.id = f.church_id WHERE c.slug = 'bench-cf-250'`;
    fieldId = f!.id;
    churchId = f!.church_id;
    await s.grantAll();
  }, 120_000);

  async function planOf(variables: Record<string, unknown>, marker: RegExp): Promise<string> {
    s.database.statements.reset();
    const r = await s.gql(PAGE, variables);
    expect(r.errors).toBeUndefined();
    const stmt = s.database.statements.recent.find((q) => marker.test(q.query));
    expect(stmt, 'statement not captured').toBeDefined();
    const rows = await sql.unsafe(`EXPLAIN (FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]);
    return JSON.stringify(rows[0]!['QUERY PLAN']);
  }

  it('a range filter reads member_field_values_number_idx, no sequential scan', async () => {
    const plan = await planOf({ c: String(churchId), first: 20, filter: { customFields: [{ fieldId: String(fieldId), min: 10, max: 12 }] } }, /member_field_values v[\s\S]*ORDER BY/);
    expect(plan).toContain('member_field_values_number_idx');
    expect(seqScanOn(plan, 'member_field_values')).toBe(false);
    expect(seqScanOn(plan, 'members')).toBe(false);
  });

  it('ordering by it walks member_field_values_number_idx in order (no sort of the church)', async () => {
    const plan = await planOf({ c: String(churchId), first: 20, o: { fieldId: String(fieldId) } }, /UNION ALL/);
    const scans = scansOf(plan, 'member_field_values');
    expect(scans.some((n) => n['Index Name'] === 'member_field_values_number_idx')).toBe(true);
    expect(seqScanOn(plan, 'member_field_values')).toBe(false);
    expect(seqScanOn(plan, 'members')).toBe(false);
  });

  it('a smart-list page (tags and custom field rules) reads indexes only, the page like the directory', async () => {
    await sql`INSERT INTO tags (church_id, name) SELECT id, 'Choir' FROM churches WHERE slug LIKE 'bench-cf-%'`;
    await sql`INSERT INTO member_tags (church_id, tag_id, member_id)
      SELECT m.church_id, t.id, m.id FROM members m JOIN tags t ON t.church_id = m.church_id WHERE m.id % 7 = 0`;
    await sql`ANALYZE`;
    const [t] = await sql`SELECT id FROM tags WHERE church_id = ${churchId}`;
    const made = await s.gql(`mutation($input: CreateSmartListInput!) { createSmartList(input: $input) { id } }`, {
      input: { churchId: String(churchId), name: 'Choir veterans', rules: { match: 'ANY', conditions: [
        { field: 'tags', op: 'HAS_ANY', value: [String(t!.id)] },
        { field: 'customField', op: 'MATCHES', value: { fieldId: String(fieldId), min: 55 } },
      ] } },
    });
    expect(made.errors).toBeUndefined();
    s.database.statements.reset();
    const r = await s.gql(`query($id: ID!) { smartList(id: $id) { memberCount members(first: 20) { nodes { id } } } }`, { id: made.data.createSmartList.id });
    expect(r.errors).toBeUndefined();
    expect(r.data.smartList.members.nodes, JSON.stringify(r.data) + JSON.stringify(s.database.statements.recent.map((q) => [q.query.slice(-300), q.params]))).toHaveLength(20);
    const stmt = s.database.statements.recent.find((q) => /FROM members m LEFT JOIN households/.test(q.query));
    expect(stmt).toBeDefined();
    const rows = await sql.unsafe(`EXPLAIN (FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]);
    const plan = JSON.stringify(rows[0]!['QUERY PLAN']);
    expect(plan).toContain('members_directory_idx');
    for (const table of ['members', 'member_tags', 'member_field_values']) expect(seqScanOn(plan, table), table).toBe(false);
  });

  it('a later page seeks with the cursor in the same index', async () => {
    const first = await s.gql(PAGE, { c: String(churchId), first: 20, o: { fieldId: String(fieldId), descending: true } });
    const plan = await planOf({ c: String(churchId), first: 20, after: first.data.members.pageInfo.endCursor, o: { fieldId: String(fieldId), descending: true } }, /UNION ALL/);
    expect(plan).toContain('member_field_values_number_idx');
    expect(plan).toMatch(/Index Cond[^"]*":\s*"[^"]*ROW\(value_number, member_id\) < ROW/);
  });
});
