import twilio from 'twilio';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeTwilio, twilioEnv, type FakeTwilio } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// A reply keeps the quiet-hours rule of every text: outside the church's window it waits for the
// next opening unless urgent. The window here is one hour, starting 4 to 6 hours from now in the
// church's time zone, so it is closed while the test runs.
let fake: FakeTwilio;
let s: TestServer;
let church: SeededChurch;
const FROM = '+13125550630';

beforeAll(async () => {
  fake = await startFakeTwilio();
  const hour = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
  // 5-6 hours ahead (4-5 when that would be 23:00: the window must end by 24:00)
  const start = Math.min((hour + 6) % 24, 22);
  const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
  s = await startTestServer('issue14a-inbox-quiet', { ...twilioEnv(fake), SMS_WINDOW_START: hh(start), SMS_WINDOW_END: hh(start + 1) });
  church = await seedChurch(s, { members: 0, timeZone: 'America/Chicago' });
  await s.database.sql`UPDATE churches SET sms_from_number = ${FROM} WHERE id = ${church.churchId}`;
}, 60_000);

afterAll(async () => {
  await s?.close();
  await fake?.close();
});

it('a reply outside quiet hours waits for the window; an urgent one goes now', async () => {
  const phone = '+13125556301';
  const params = { From: phone, To: FROM, Body: 'Are you open today?', MessageSid: `SM${'7'.repeat(32)}`, AccountSid: fake.accountSid };
  const url = `${s.config.publicUrl}/webhooks/twilio/inbound`;
  const res = await fetch(`${s.url}/webhooks/twilio/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(fake.authToken, url, params) },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(200);
  const [conv] = await s.database.sql<[{ id: number }]>`SELECT id FROM conversations WHERE church_id = ${church.churchId} AND phone = ${phone}`;
  const REPLY = 'mutation($id: ID!, $u: Boolean) { replyToConversation(id: $id, body: "Yes", urgent: $u) { message { status sendAt } } }';
  const later = await s.gql(REPLY, { id: String(conv.id), u: false });
  expect(later.errors).toBeUndefined();
  expect(later.data.replyToConversation.message.status).toBe('SCHEDULED');
  const waitH = (new Date(later.data.replyToConversation.message.sendAt).getTime() - Date.now()) / 3_600_000;
  expect(waitH).toBeGreaterThan(3.9);
  expect(waitH).toBeLessThan(6.1);
  const now = await s.gql(REPLY, { id: String(conv.id), u: true });
  expect(now.data.replyToConversation.message.status).toBe('SENDING');
  expect(Math.abs(new Date(now.data.replyToConversation.message.sendAt).getTime() - Date.now())).toBeLessThan(60_000);
});
