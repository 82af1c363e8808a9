import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Problems } from '../src/lib/errors.js';
import * as v from '../src/lib/validate.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Issue 18.8: phone errors say what is wrong with the number; the opt-out fields read as one family. */

function problem(input: string, region = 'US'): string | undefined {
  const p = new Problems();
  v.phone(p, 'phone', input, region);
  return p.list[0]?.message;
}

describe('phone number messages', () => {
  it('names the plan of the +country code given, not an assumed region', () => {
    expect(problem('+44123')).toBe('is too short for +44 numbers');
    expect(problem('+4420718387501234')).toBe('is too long for +44 numbers');
    expect(problem('+44123')).not.toMatch(/assumed/);
  });

  it('says a region was assumed only when the number has no +country code', () => {
    expect(problem('555')).toBe('is too short for US numbers (no +country code was given, so US was assumed)');
    expect(problem('312 555 0100 99')).toMatch(/^is too long for US numbers/);
  });

  it('tells an unknown +code, a non-number and an unassigned number apart', () => {
    expect(problem('+999 123456')).toBe('starts with a +country code that does not exist');
    expect(problem('abc')).toBe('is not a phone number');
    expect(problem('+1 200 555 0100')).toBe('is not a valid number in the numbering plan of +1 numbers');
  });

  it('still accepts valid numbers as E.164', () => {
    const p = new Problems();
    expect(v.phone(p, 'phone', '+44 20 7183 8750', 'US')).toBe('+442071838750');
    expect(v.phone(p, 'phone', '(312) 555-0100', 'US')).toBe('+13125550100');
    expect(p.empty).toBe(true);
  });
});

let s: TestServer;
let church: SeededChurch;

beforeAll(async () => {
  s = await startTestServer('phonemsg');
  church = await seedChurch(s, { members: 4 });
});

afterAll(async () => {
  await s?.close();
});

const UPDATE = `mutation($id: ID!, $input: UpdateMemberInput!) {
  updateMember(id: $id, input: $input) { id smsOptedOut smsOptedOutAt smsOptedOutVia smsOptOutVia } }`;

describe('over GraphQL', () => {
  it('createMember with a short +44 number names the +44 plan', async () => {
    const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
      i: { churchId: String(church.churchId), firstName: 'Ann', lastName: 'Lee', phone: '+44123' },
    });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.phone' });
    expect(r.errors?.[0]?.message).toBe('input.phone: is too short for +44 numbers');
  });

  it('smsOptedOut opts out and smsOptedOutVia reports how; the deprecated names keep working', async () => {
    const [a, b] = church.memberIds.map(String);
    const r = await s.gql(UPDATE, { id: a, input: { smsOptedOut: true } });
    expect(r.errors).toBeUndefined();
    expect(r.data.updateMember).toMatchObject({ smsOptedOut: true, smsOptedOutVia: 'staff', smsOptOutVia: 'staff' });
    expect(r.data.updateMember.smsOptedOutAt).not.toBeNull();

    const old = await s.gql(UPDATE, { id: b, input: { smsOptOut: true } });
    expect(old.errors).toBeUndefined();
    expect(old.data.updateMember).toMatchObject({ smsOptedOut: true, smsOptedOutVia: 'staff' });

    const back = await s.gql(UPDATE, { id: a, input: { smsOptedOut: false } });
    expect(back.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.smsOptedOut' });
    const backOld = await s.gql(UPDATE, { id: a, input: { smsOptOut: false } });
    expect(backOld.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.smsOptOut' });
  });

  it('refuses the two names disagreeing, and writes nothing', async () => {
    const id = String(church.memberIds[2]);
    const r = await s.gql(UPDATE, { id, input: { smsOptedOut: true, smsOptOut: false } });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.smsOptedOut' });
    const [row] = await s.database.sql`SELECT sms_opted_out_at FROM members WHERE id = ${Number(id)}`;
    expect(row!.sms_opted_out_at).toBeNull();
  });

  it('marks the odd names deprecated in the schema, pointing to the new ones', async () => {
    const r = await s.gql(`{
      member: __type(name: "Member") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } }
      input: __type(name: "UpdateMemberInput") { inputFields(includeDeprecated: true) { name isDeprecated deprecationReason } } }`);
    expect(r.errors).toBeUndefined();
    const field = (list: Array<{ name: string }>, name: string) => list.find((f) => f.name === name);
    expect(field(r.data.member.fields, 'smsOptOutVia')).toMatchObject({ isDeprecated: true, deprecationReason: expect.stringContaining('smsOptedOutVia') });
    expect(field(r.data.member.fields, 'smsOptedOutVia')).toMatchObject({ isDeprecated: false });
    expect(field(r.data.member.fields, 'smsOptedOut')).toMatchObject({ isDeprecated: false });
    expect(field(r.data.input.inputFields, 'smsOptOut')).toMatchObject({ isDeprecated: true, deprecationReason: expect.stringContaining('smsOptedOut') });
    expect(field(r.data.input.inputFields, 'smsOptedOut')).toMatchObject({ isDeprecated: false });
  });
});
