import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_SKEW_MS } from '../src/modules/message/message.input.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Issue 18.5: a scheduleAt in the past (beyond a small clock-skew allowance) is refused, not sent at once. */

let s: TestServer;
let church: SeededChurch;

const SEND = `mutation($c: ID!, $a: AudienceInput!, $at: DateTime) {
  sendMessage(churchId: $c, body: "Choir at 7", audience: $a, scheduleAt: $at, urgent: true) { id status sendAt } }`;
const PREVIEW = `query($c: ID!, $a: AudienceInput!, $at: DateTime) {
  previewMessage(churchId: $c, body: "Choir at 7", audience: $a, scheduleAt: $at, urgent: true) { sendAt } }`;

beforeAll(async () => {
  s = await startTestServer('schedule');
  church = await seedChurch(s, { members: 3 });
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550177' WHERE id = ${church.churchId}`;
});

afterAll(async () => {
  await s?.close();
});

const vars = (at: Date) => ({ c: String(church.churchId), a: { memberIds: church.memberIds.map(String) }, at: at.toISOString() });
const messages = async () => (await s.database.sql<Array<{ n: number }>>`SELECT count(*)::int AS n FROM messages`)[0]!.n;

describe('scheduleAt in the past', () => {
  it('is refused by sendMessage and previewMessage, naming scheduleAt, and nothing is written', async () => {
    const before = await messages();
    const past = new Date(Date.now() - SCHEDULE_SKEW_MS - 60_000);
    for (const doc of [SEND, PREVIEW]) {
      const r = await s.gql(doc, vars(past));
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scheduleAt' });
      expect(r.errors?.[0]?.message).toMatch(/scheduleAt: is in the past/);
    }
    expect(await messages()).toBe(before);
  });

  it('within the clock-skew allowance it means now', async () => {
    const r = await s.gql(SEND, vars(new Date(Date.now() - SCHEDULE_SKEW_MS / 2)));
    expect(r.errors).toBeUndefined();
    expect(r.data.sendMessage.status).toBe('SENDING');
    expect(Math.abs(new Date(r.data.sendMessage.sendAt).getTime() - Date.now())).toBeLessThan(10_000);
  });

  it('a future time still schedules', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const r = await s.gql(SEND, vars(at));
    expect(r.errors).toBeUndefined();
    expect(r.data.sendMessage.status).toBe('SCHEDULED');
  });

  it('the field description says so', async () => {
    const r = await s.gql(`{ __type(name: "Mutation") { fields { name args { name description } } } }`);
    const send = r.data.__type.fields.find((f: { name: string }) => f.name === 'sendMessage');
    const at = send.args.find((a: { name: string }) => a.name === 'scheduleAt');
    expect(at.description).toMatch(/in the past is refused \(BAD_USER_INPUT\)/);
    expect(at.description).toContain(`${SCHEDULE_SKEW_MS / 1000} s`);
  });
});
