import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { startFakeTwilio, type FakeTwilio, twilioEnv } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// Item 10.14: a STOP holds for the number in the church it was sent to, whoever holds the number
// now or later (create, update, import), until START from it; the worker re-checks before sending.
let fake: FakeTwilio;
let s: TestServer;
let worker: RunningWorker | undefined;
let church: SeededChurch;
let other: SeededChurch;
const FROM = '+13125550400';
const OTHER_FROM = '+13125550401';

const SEND = `mutation($c: ID!, $body: String!, $a: AudienceInput!) {
  sendMessage(churchId: $c, body: $body, audience: $a, urgent: true) { id recipientCount skippedCount } }`;
const PREVIEW = `query($c: ID!, $a: AudienceInput!) {
  previewMessage(churchId: $c, body: "Hi", audience: $a) { recipientCount skipped { optedOut noPhone sharedPhone } } }`;
const MEMBER = 'query($id: ID!) { member(id: $id) { smsOptedOut smsOptOutVia } }';

let phoneSeq = 0;
const nextPhone = () => `+1312557${String(1000 + phoneSeq++).padStart(4, '0')}`;

async function inbound(from: string, body: string, to = FROM) {
  const params = { From: from, To: to, Body: body, MessageSid: `SM${'1'.repeat(32)}`, AccountSid: fake.accountSid };
  const url = `${s.config.publicUrl}/webhooks/twilio/inbound`;
  const res = await fetch(`${s.url}/webhooks/twilio/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(fake.authToken, url, params) },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text() };
}

async function person(phone: string | null, churchId = church.churchId): Promise<string> {
  const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
    i: { churchId: String(churchId), firstName: 'Consent', lastName: `Person ${phone}`, phone, status: 'MEMBER' },
  });
  expect(r.errors).toBeUndefined();
  return r.data.createMember.id;
}

async function optedOut(id: string): Promise<boolean> {
  const r = await s.gql(MEMBER, { id });
  expect(r.errors).toBeUndefined();
  return r.data.member.smsOptedOut;
}

async function recipientsOf(messageId: string) {
  return s.database.sql<{ status: string; reason: string | null; phone: string | null }[]>`
    SELECT status, reason, phone FROM message_recipients WHERE message_id = ${Number(messageId)} ORDER BY id`;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends to the members and waits until no recipient is open; returns the recipients. */
async function sendTo(memberIds: string[], body: string) {
  const r = await s.gql(SEND, { c: String(church.churchId), body, a: { memberIds } });
  expect(r.errors).toBeUndefined();
  const id = r.data.sendMessage.id as string;
  return {
    ...r.data.sendMessage,
    rows: await waitFor('the send to finish', async () => {
      const rows = await recipientsOf(id);
      return rows.every((x) => !['queued', 'sending', 'sent'].includes(x.status)) ? rows : null;
    }),
  };
}

/** Everyone in the audience is opted out: the send is refused and nothing reaches the provider. */
async function expectNobodyTexted(memberIds: string[]) {
  const before = fake.messages.length;
  const r = await s.gql(SEND, { c: String(church.churchId), body: 'Not for a stopped number', a: { memberIds } });
  expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audience' });
  expect(r.errors?.[0]?.message).toMatch(/nobody in this audience can receive texts/);
  expect(fake.messages.length).toBe(before);
}

const textsTo = (phone: string) => fake.messages.filter((m) => m.to === phone).length;

beforeAll(async () => {
  fake = await startFakeTwilio();
  s = await startTestServer('consent', {
    ...twilioEnv(fake),
    SMS_SEND_TIMEOUT_MS: '500',
    SMS_LEASE_S: '2',
    SMS_SWEEP_INTERVAL_S: '1',
  });
  church = await seedChurch(s, { members: 0 });
  other = await seedChurch(s, { members: 0 });
  await s.database.sql`UPDATE churches SET sms_from_number = ${FROM} WHERE id = ${church.churchId}`;
  await s.database.sql`UPDATE churches SET sms_from_number = ${OTHER_FROM} WHERE id = ${other.churchId}`;
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await s?.close();
  await fake?.close();
});

describe('consent per (church, phone number)', () => {
  it('the worker re-checks the number before sending: a STOP recorded after the message was written wins', async () => {
    // no worker yet: the message waits in the queue while the number opts out
    const phone = nextPhone();
    const id = await person(phone);
    const r = await s.gql(SEND, { c: String(church.churchId), body: 'Written before the STOP', a: { memberIds: [id] } });
    expect(r.data.sendMessage.recipientCount).toBe(1);
    // the number's consent alone (as if the STOP committed before the member's own flag was set)
    await s.database.sql`INSERT INTO sms_consents (church_id, phone, opted_out_at, via) VALUES (${church.churchId}, ${phone}, now(), 'keyword:STOP')`;
    worker = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL });
    const rows = await waitFor('the recipient to be skipped', async () => {
      const x = await recipientsOf(r.data.sendMessage.id);
      return x[0]!.status === 'skipped' ? x : null;
    });
    expect(rows[0]).toMatchObject({ status: 'skipped', reason: 'opted_out' });
    expect(textsTo(phone)).toBe(0);
  });

  it('STOP from a number no member holds: a member created later with it is not texted; START texts it again', async () => {
    const phone = nextPhone();
    const stop = await inbound(phone, 'STOP');
    expect(stop.status).toBe(200);
    expect(stop.text).toMatch(/You are unsubscribed/);

    const id = await person(phone);
    expect((await s.gql(MEMBER, { id })).data.member).toEqual({ smsOptedOut: true, smsOptOutVia: 'keyword:STOP' });
    const preview = await s.gql(PREVIEW, { c: String(church.churchId), a: { memberIds: [id] } });
    expect(preview.data.previewMessage).toMatchObject({ recipientCount: 0, skipped: { optedOut: 1 } });
    await expectNobodyTexted([id]);

    // the STOP was for this church's number only
    const elsewhere = await person(phone, other.churchId);
    expect(await optedOut(elsewhere)).toBe(false);

    const start = await inbound(phone, 'START');
    expect(start.text).toMatch(/subscribed to .* again/);
    expect(await optedOut(id)).toBe(false);
    const sent = await sendTo([id], 'Welcome back');
    expect(sent.recipientCount).toBe(1);
    expect(sent.rows[0]!.status).toBe('delivered');
    expect(textsTo(phone)).toBe(1);
  });

  it('imports respect it: an imported member with a stopped number is opted out and not texted', async () => {
    const stopped = nextPhone();
    const fine = nextPhone();
    await inbound(stopped, 'unsubscribe');
    const r = await s.gql(
      `mutation($c: ID!, $rows: [ImportMemberRow!]!) { importMembers(churchId: $c, rows: $rows) { imported errors { row field message } } }`,
      {
        c: String(church.churchId),
        rows: [
          { firstName: 'Imported', lastName: 'Stopped', phone: stopped, status: 'MEMBER' },
          { firstName: 'Imported', lastName: 'Fine', phone: fine, status: 'MEMBER' },
        ],
      },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.importMembers).toMatchObject({ imported: 2, errors: [] });
    const rows = await s.database.sql<{ id: number; phone: string; sms_opted_out_at: Date | null; sms_opt_out_via: string | null }[]>`
      SELECT id, phone, sms_opted_out_at, sms_opt_out_via FROM members WHERE church_id = ${church.churchId} AND phone IN (${stopped}, ${fine})`;
    const byPhone = new Map(rows.map((x) => [x.phone, x]));
    expect(byPhone.get(stopped)!.sms_opt_out_via).toBe('keyword:UNSUBSCRIBE');
    expect(byPhone.get(fine)!.sms_opted_out_at).toBeNull();
    const sent = await sendTo(rows.map((x) => String(x.id)), 'After the import');
    expect(sent).toMatchObject({ recipientCount: 1, skippedCount: 1 });
    expect(textsTo(stopped)).toBe(0);
    expect(textsTo(fine)).toBe(1);
  });

  it('a member given a stopped number (updateMember) is opted out too', async () => {
    const stopped = nextPhone();
    await inbound(stopped, 'STOP');
    const id = await person(nextPhone());
    expect(await optedOut(id)).toBe(false);
    const r = await s.gql('mutation($id: ID!, $i: UpdateMemberInput!) { updateMember(id: $id, input: $i) { smsOptedOut smsOptOutVia } }', {
      id,
      i: { phone: stopped },
    });
    expect(r.errors).toBeUndefined();
    expect(r.data.updateMember).toEqual({ smsOptedOut: true, smsOptOutVia: 'keyword:STOP' });
  });

  it('STOP from a member’s number also blocks a second member sharing it, and one who gets it later; START frees them all', async () => {
    const phone = nextPhone();
    const first = await person(phone);
    const second = await person(phone);
    await inbound(phone, 'STOP');
    const third = await person(phone);
    for (const id of [first, second, third]) expect(await optedOut(id)).toBe(true);
    await expectNobodyTexted([first, second, third]);
    expect(textsTo(phone)).toBe(0);

    await inbound(phone, 'START');
    for (const id of [first, second, third]) expect(await optedOut(id)).toBe(false);
    const sent = await sendTo([first, second, third], 'Shared and back');
    expect(sent.recipientCount).toBe(1); // one text per number
    expect(textsTo(phone)).toBe(1);
  });

  it('a keyword from something that is not a phone number records nothing and is not a server error', async () => {
    const res = await inbound('not-a-number', 'STOP');
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toMatch(/unsubscribed/);
    const [row] = await s.database.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM sms_consents WHERE phone = 'not-a-number'`;
    expect(row.n).toBe(0);
  });
});
