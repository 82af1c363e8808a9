import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { startFakeTwilio, twilioEnv, type FakeTwilio } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type GqlResult, type TestServer } from './helpers/server.js';
import { subscribe } from './helpers/ws.js';

// A development inbox without Twilio: under SMS_PROVIDER=log the inbound webhook answers 404, so
// simulateInboundText feeds the same path (receiveInbound) a text from a phone. Keywords are consent,
// anything else a conversation, once per MessageSid; refused with Twilio configured and in production.
let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;
const A_FROM = '+13125550810';

const SIMULATE = `mutation($c: ID!, $from: String!, $body: String!, $sid: String) { simulateInboundText(churchId: $c, from: $from, body: $body, messageSid: $sid) {
  reply messageSid message { id direction body } conversation { id phone state unreadCount unknown members { id } } } }`;

const problem = (r: GqlResult<unknown>) => {
  expect(r.errors, JSON.stringify(r.data)).toBeDefined();
  return { code: r.errors![0]!.extensions?.code, field: r.errors![0]!.extensions?.field, message: r.errors![0]!.message };
};

beforeAll(async () => {
  s = await startTestServer('inbox-simulate', { SMS_PROVIDER: 'log', CACHE_ENABLED: 'false' });
  a = await seedChurch(s, { members: 0, name: 'Grace Simulated' });
  b = await seedChurch(s, { members: 0, name: 'Other Simulated' });
  await s.database.sql`UPDATE churches SET sms_from_number = ${A_FROM} WHERE id = ${a.churchId}`;
}, 60_000);

afterAll(async () => {
  await s?.close();
});

describe('simulateInboundText under SMS_PROVIDER=log', () => {
  it('a text lands in the inbox once per messageSid, linked to the member with that number; the webhook itself still answers 404', async () => {
    const c = String(a.churchId);
    const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
      i: { churchId: c, firstName: 'Maria', lastName: 'Sim', phone: '+13125558801', status: 'MEMBER' },
    });
    const maria = r.data.createMember.id;
    const sub = subscribe(s.url, `subscription($c: ID!) { inboxMessageReceived(churchId: $c) { body conversation { phone } } }`, { c }, { headers: s.adminHeaders, timeoutMs: 4000 });
    await new Promise((r) => setTimeout(r, 700));
    // any usual way of writing the number
    const first = await s.gql(SIMULATE, { c, from: '(312) 555-8801', body: 'Can I bring my kids on Sunday?' });
    expect(first.errors).toBeUndefined();
    const t = first.data.simulateInboundText;
    expect(t).toMatchObject({ reply: null, message: { direction: 'INBOUND', body: 'Can I bring my kids on Sunday?' }, conversation: { phone: '+13125558801', state: 'OPEN', unreadCount: 1, unknown: false, members: [{ id: maria }] } });
    expect(t.messageSid).toMatch(/^SM[0-9a-f]{32}$/);
    const heard = await sub;
    expect(heard.errors).toEqual([]);
    expect(heard.events[0]!.inboxMessageReceived).toMatchObject({ body: 'Can I bring my kids on Sunday?', conversation: { phone: '+13125558801' } });

    // the same messageSid again is the webhook delivered twice: nothing more
    const again = await s.gql(SIMULATE, { c, from: '+13125558801', body: 'Can I bring my kids on Sunday?', sid: t.messageSid });
    expect(again.data.simulateInboundText).toMatchObject({ message: { id: t.message.id }, conversation: { unreadCount: 1 } });
    const rows = await s.database.sql`SELECT 1 FROM conversation_messages WHERE conversation_id = ${Number(t.conversation.id)}`;
    expect(rows).toHaveLength(1);
    // a number nobody holds: an unknown conversation
    const stranger = await s.gql(SIMULATE, { c, from: '+13125558899', body: 'Who is this?' });
    expect(stranger.data.simulateInboundText.conversation).toMatchObject({ unknown: true, members: [] });

    const hook = await fetch(`${s.url}/webhooks/twilio/inbound`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'From=%2B13125558801&To=%2B13125550810&Body=hi&MessageSid=SM1' });
    expect(hook.status).toBe(404);
  });

  it('STOP, START and HELP behave as from Twilio: consent, answered, no conversation', async () => {
    const c = String(a.churchId);
    const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
      i: { churchId: c, firstName: 'Ben', lastName: 'Sim', phone: '+13125558802', status: 'MEMBER' },
    });
    const ben = r.data.createMember.id;
    const optedOut = async () => (await s.gql('query($id: ID!) { member(id: $id) { smsOptedOutAt } }', { id: ben })).data.member.smsOptedOutAt !== null;
    const stop = await s.gql(SIMULATE, { c, from: '+13125558802', body: 'stop' });
    expect(stop.errors).toBeUndefined();
    expect(stop.data.simulateInboundText).toMatchObject({ reply: expect.stringContaining('unsubscribed from Grace Simulated'), conversation: null, message: null });
    expect(await optedOut()).toBe(true);
    const audit = await s.database.sql<{ action: string }[]>`SELECT action FROM audit_log WHERE entity = 'Consent' AND entity_id = '+13125558802'`;
    expect(audit.map((x) => x.action)).toEqual(['opt-out']);
    const start = await s.gql(SIMULATE, { c, from: '+13125558802', body: 'START' });
    expect(start.data.simulateInboundText.reply).toContain('subscribed to Grace Simulated texts again');
    expect(await optedOut()).toBe(false);
    const help = await s.gql(SIMULATE, { c, from: '+13125558802', body: 'HELP' });
    expect(help.data.simulateInboundText.reply).toContain('reply STOP to unsubscribe');
    expect((await s.database.sql`SELECT 1 FROM conversations WHERE church_id = ${a.churchId} AND phone = '+13125558802'`).length).toBe(0);
  });

  it('STAFF and up of that church; bad input names the argument', async () => {
    const c = String(a.churchId);
    const viewer = await s.userWith('sim-viewer@fixture.test', [[a.churchId, 'viewer']]);
    const staff = await s.userWith('sim-staff@fixture.test', [[a.churchId, 'staff']]);
    const outsider = await s.userWith('sim-admin@other.test', [[b.churchId, 'admin']]);
    expect(problem(await s.gql(SIMULATE, { c, from: '+13125558803', body: 'hi' }, viewer.headers)).code).toBe('FORBIDDEN');
    // another church's admin: that church is not theirs to see
    expect(problem(await s.gql(SIMULATE, { c, from: '+13125558803', body: 'hi' }, outsider.headers)).code).toBe('NOT_FOUND');
    expect((await s.gql(SIMULATE, { c, from: '+13125558803', body: 'hi' }, staff.headers)).errors).toBeUndefined();
    expect(problem(await s.gql(SIMULATE, { c, from: 'not a phone', body: 'hi' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
    expect(problem(await s.gql(SIMULATE, { c, from: '+13125558803', body: 'hi', sid: 'x' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'messageSid' });
    expect(problem(await s.gql(SIMULATE, { c: String(b.churchId), from: '+13125558803', body: 'hi' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'churchId' });
  });
});

describe('simulateInboundText elsewhere', () => {
  it('is off in production whatever the provider, and off with Twilio configured', () => {
    const prod = { NODE_ENV: 'production', PUBLIC_URL: 'https://api.example.org' };
    expect(loadConfig(prod).sms.simulateInbound).toBe(false);
    expect(loadConfig({ ...prod, SMS_PROVIDER: 'log' }).sms.simulateInbound).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).sms.simulateInbound).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', PUBLIC_URL: 'https://api.example.org', SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC' + '0'.repeat(32), TWILIO_AUTH_TOKEN: 'x'.repeat(32) }).sms.simulateInbound).toBe(false);
  });

  let fake: FakeTwilio;
  let t: TestServer;
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('a server with Twilio refuses it (FORBIDDEN) and writes nothing', async () => {
    fake = await startFakeTwilio();
    t = await startTestServer('inbox-simulate-twilio', { ...twilioEnv(fake) });
    const church = await seedChurch(t, { members: 0 });
    await t.database.sql`UPDATE churches SET sms_from_number = '+13125550811' WHERE id = ${church.churchId}`;
    const r = await t.gql(SIMULATE, { c: String(church.churchId), from: '+13125558804', body: 'hi' });
    expect(problem(r)).toMatchObject({ code: 'FORBIDDEN' });
    expect(problem(r).message).toContain('SMS_PROVIDER=log');
    expect((await t.database.sql`SELECT 1 FROM conversations WHERE church_id = ${church.churchId}`).length).toBe(0);
  }, 60_000);
});
