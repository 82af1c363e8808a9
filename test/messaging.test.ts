import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, bullConnection } from '../src/jobs/queues.js';
import { createLogger } from '../src/lib/logger.js';
import { twilioSignature } from '../src/sms/signature.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { startFakeTwilio, type FakeTwilio, twilioEnv } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';
import { subscribe } from './helpers/ws.js';

let fake: FakeTwilio;
let s: TestServer;
let worker: RunningWorker;
let church: SeededChurch;
let other: SeededChurch;
const FROM = '+13125550100';

const SEND = `mutation($c: ID!, $body: String!, $a: AudienceInput!, $at: DateTime, $urgent: Boolean) {
  sendMessage(churchId: $c, body: $body, audience: $a, scheduleAt: $at, urgent: $urgent) {
    id status sendAt recipientCount skippedCount segments encoding estimatedCost } }`;
const PREVIEW = `query($c: ID!, $body: String!, $a: AudienceInput!, $at: DateTime, $urgent: Boolean) {
  previewMessage(churchId: $c, body: $body, audience: $a, scheduleAt: $at, urgent: $urgent) {
    encoding segments characters audienceCount recipientCount estimatedCost sendAt skipped { optedOut noPhone sharedPhone } } }`;
const MESSAGE = `query($id: ID!) { message(id: $id) { id status completedAt counts { queued sending sent delivered undelivered failed skipped cancelled total }
  recipients(first: 100) { nodes { id phone status reason attempts errorCode member { id } } } } }`;

async function debugState() {
  return s.database.sql`SELECT id, status, attempts, lease_until, sending_at, provider_sid, error_code, error_message FROM message_recipients WHERE status NOT IN ('delivered', 'skipped', 'cancelled') ORDER BY id DESC LIMIT 5`;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await debugState())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function message(id: string) {
  const r = await s.gql(MESSAGE, { id });
  expect(r.errors).toBeUndefined();
  return r.data.message;
}

/**
 * Waits for the message's real final state: the message itself COMPLETED, which the worker declares
 * (settleMessages) only after the last write to a recipient that could still change, opt-outs
 * included. The message row is read before its recipients in the same answer, so the rows returned
 * are at least as new. Waiting on the counts instead was not enough: counts and recipients are two
 * statements and the rows are read first (the counts go through a DataLoader, a tick later), so an
 * answer could show final counts beside older rows. That is how "permanent errors" failed.
 * allowSent: a text the fake leaves SENT (the message is then never COMPLETED): the rows themselves.
 */
function settled(id: string, opts: { allowSent?: boolean } = {}) {
  return waitFor(`message ${id} to settle`, async () => {
    const m = await message(id);
    if (!opts.allowSent) return m.status === 'COMPLETED' ? m : null;
    const rows = m.recipients.nodes as Array<{ status: string }>;
    return rows.every((n) => n.status !== 'QUEUED' && n.status !== 'SENDING') ? m : null;
  });
}

/** A person of `church` with a phone of our choosing (the seeded phones are shared between tests). */
async function person(phone: string | null, extra: Record<string, unknown> = {}, churchId = church.churchId): Promise<string> {
  const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
    i: { churchId: String(churchId), firstName: 'Text', lastName: `Person ${phone ?? 'none'}`, phone, status: 'MEMBER', ...extra },
  });
  expect(r.errors).toBeUndefined();
  return r.data.createMember.id;
}

let phoneSeq = 0;
const nextPhone = () => `+1312555${String(2000 + phoneSeq++).padStart(4, '0')}`;

beforeAll(async () => {
  fake = await startFakeTwilio();
  s = await startTestServer('messaging', {
    // quiet hours always open, except where a test says otherwise through scheduleAt/preview
    ...twilioEnv(fake),
    SMS_SEND_TIMEOUT_MS: '500',
    SMS_LEASE_S: '2',
    SMS_SWEEP_INTERVAL_S: '1',
    SMS_WORKER_CONCURRENCY: '10',
  });
  church = await seedChurch(s, { members: 0 });
  other = await seedChurch(s, { members: 0 });
  await s.database.sql`UPDATE churches SET sms_from_number = ${FROM}, sms_help_text = 'Grace Church: call 312-555-0100. Reply STOP to opt out.' WHERE id = ${church.churchId}`;
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550101' WHERE id = ${other.churchId}`;
  worker = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await s?.close();
  await fake?.close();
});

describe('previewMessage', () => {
  it('combines statuses, groups and people, deduplicates, skips opted-out, phoneless and shared numbers', async () => {
    const c = await seedChurch(s, { members: 0 });
    await s.database.sql`UPDATE churches SET sms_from_number = '+13125550102' WHERE id = ${c.churchId}`;
    const shared = nextPhone();
    const visitor = await person(nextPhone(), { status: 'VISITOR' }, c.churchId);
    const member1 = await person(shared, {}, c.churchId);
    const member2 = await person(shared, {}, c.churchId); // same number: one text
    const noPhone = await person(null, {}, c.churchId);
    const optedOut = await person(nextPhone(), {}, c.churchId);
    await s.gql('mutation($id: ID!) { updateMember(id: $id, input: { smsOptOut: true }) { id } }', { id: optedOut });
    const inactive = await person(nextPhone(), { status: 'INACTIVE' }, c.churchId);
    const group = (await s.gql('mutation($c: ID!) { createGroup(input: { churchId: $c, name: "Choir" }) { id } }', { c: String(c.churchId) })).data.createGroup.id;
    await s.gql('mutation($g: ID!, $m: ID!) { addGroupMember(input: { groupId: $g, memberId: $m }) { role } }', { g: group, m: visitor });

    const preview = async (audience: Record<string, unknown>, body = 'Hello') => {
      const r = await s.gql(PREVIEW, { c: String(c.churchId), body, a: audience });
      expect(r.errors).toBeUndefined();
      return r.data.previewMessage;
    };
    // everyone active: not the inactive one
    expect(await preview({ everyone: true })).toMatchObject({
      audienceCount: 5,
      recipientCount: 2,
      skipped: { optedOut: 1, noPhone: 1, sharedPhone: 1 },
    });
    // statuses ∪ group ∪ ids, each person once
    const union = await preview({ statuses: ['INACTIVE'], groupIds: [group], memberIds: [visitor, member1, member2, noPhone] });
    expect(union).toMatchObject({ audienceCount: 5, recipientCount: 3, skipped: { optedOut: 0, noPhone: 1, sharedPhone: 1 } });
    expect(inactive).toBeTruthy();
    // price: recipients x segments x SMS_PRICE_PER_SEGMENT (0.0083)
    const long = await preview({ memberIds: [visitor, member1] }, 'x'.repeat(200));
    expect(long).toMatchObject({ encoding: 'GSM7', segments: 2, recipientCount: 2, estimatedCost: 0.0332 });
    const uni = await preview({ memberIds: [visitor] }, 'Привет!');
    expect(uni).toMatchObject({ encoding: 'UCS2', segments: 1, characters: 7 });
  });

  it('rejects bad input naming the field', async () => {
    const c = String(church.churchId);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ c, body: '', a: { everyone: true } }, 'body'],
      [{ c, body: 'x'.repeat(1601), a: { everyone: true } }, 'body'],
      [{ c, body: 'Hi', a: {} }, 'audience'],
      [{ c, body: 'Hi', a: { groupIds: ['abc'] } }, 'audience.groupIds'],
      [{ c, body: 'Hi', a: { everyone: true }, at: new Date(Date.now() + 400 * 86_400_000).toISOString() }, 'scheduleAt'],
    ];
    for (const [vars, field] of cases) {
      const r = await s.gql(PREVIEW, vars);
      expect(r.errors![0]!.extensions, JSON.stringify(vars).slice(0, 80)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const foreign = await s.gql(PREVIEW, { c, body: 'Hi', a: { memberIds: [await person(nextPhone(), {}, other.churchId)] } });
    expect(foreign.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'audience.memberIds' });
    const noNumber = await seedChurch(s, { members: 1 });
    const r = await s.gql(PREVIEW, { c: String(noNumber.churchId), body: 'Hi', a: { everyone: true } });
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'churchId' });
  });

  it('quiet hours in two time zones: sending waits for 09:00 local unless urgent', async () => {
    const p = await startTestServer('messaging-quiet', { SMS_WINDOW_START: '09:00', SMS_WINDOW_END: '20:00' });
    try {
      const chicago = await seedChurch(p, { members: 2, timeZone: 'America/Chicago' });
      const london = await seedChurch(p, { members: 2, timeZone: 'Europe/London' });
      await p.database.sql`UPDATE churches SET sms_from_number = '+1312555' || lpad(id::text, 4, '0') WHERE id IN (${chicago.churchId}, ${london.churchId})`;
      // 03:00 UTC on a winter day in two weeks: 21:00 the evening before in Chicago (UTC-6), 03:00 in London (UTC+0)
      const day = new Date(Date.now() + 14 * 86_400_000);
      const at = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 3, 0));
      const offsetH = (tz: string) => {
        const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(at).find((x) => x.type === 'timeZoneName')!.value;
        const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
        return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) + Number(m[3]) / 60) : 0;
      };
      const expected = (tz: string) => {
        // local date of `at`, then 09:00 local of that date (or the next, if already past 20:00)
        const local = new Date(at.getTime() + offsetH(tz) * 3_600_000);
        const localH = local.getUTCHours();
        const d = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + (localH >= 20 ? 1 : 0), 9, 0));
        return new Date(d.getTime() - offsetH(tz) * 3_600_000).toISOString();
      };
      for (const [c, tz] of [[chicago, 'America/Chicago'], [london, 'Europe/London']] as const) {
        const r = await p.gql(PREVIEW, { c: String(c.churchId), body: 'Hi', a: { everyone: true }, at: at.toISOString() });
        expect(r.errors).toBeUndefined();
        expect(r.data.previewMessage.sendAt, tz).toBe(expected(tz));
        const urgent = await p.gql(PREVIEW, { c: String(c.churchId), body: 'Hi', a: { everyone: true }, at: at.toISOString(), urgent: true });
        expect(urgent.data.previewMessage.sendAt).toBe(at.toISOString());
      }
      expect(expected('America/Chicago')).not.toBe(expected('Europe/London'));
      const sent = await p.gql(SEND, { c: String(london.churchId), body: 'Later', a: { everyone: true }, at: at.toISOString() });
      expect(sent.data.sendMessage).toMatchObject({ status: 'SCHEDULED', sendAt: expected('Europe/London') });
    } finally {
      await p.close();
    }
  });
});

describe('sending through the worker', () => {
  it('texts every eligible person once; statuses move queued → sent → delivered by signed callbacks', async () => {
    const phones = Array.from({ length: 12 }, nextPhone);
    const ids = [];
    for (const ph of phones) ids.push(await person(ph));
    ids.push(await person(phones[0]!)); // shares a number
    const r = await s.gql(SEND, { c: String(church.churchId), body: 'Service at 10 tomorrow', a: { memberIds: ids } });
    expect(r.errors).toBeUndefined();
    expect(r.data.sendMessage).toMatchObject({ status: 'SENDING', recipientCount: 12, skippedCount: 1, segments: 1, encoding: 'GSM7' });
    const m = await settled(r.data.sendMessage.id);
    expect(m.counts).toMatchObject({ delivered: 12, skipped: 1, failed: 0, total: 13 });
    // the message's own status follows with the next progress flush
    await waitFor('COMPLETED', async () => (await message(m.id)).status === 'COMPLETED');
    const sentTo = fake.messages.filter((x) => x.body === 'Service at 10 tomorrow');
    expect(sentTo).toHaveLength(12);
    expect(new Set(sentTo.map((x) => x.to))).toEqual(new Set(phones));
    expect(sentTo.every((x) => x.from === FROM && x.statusCallback!.startsWith(`${s.config.publicUrl}/webhooks/twilio/status?rid=`))).toBe(true);
    const rows = m.recipients.nodes.filter((n: { status: string }) => n.status === 'DELIVERED');
    expect(rows.every((n: { attempts: number }) => n.attempts === 1)).toBe(true);
  });

  it('permanent errors fail at once without retries; 21610 also records the opt-out', async () => {
    const invalid = nextPhone();
    const unsub = nextPhone();
    fake.failFor(invalid, 21211);
    fake.failFor(unsub, 21610);
    const a = await person(invalid);
    const b = await person(unsub);
    const r = await s.gql(SEND, { c: String(church.churchId), body: 'Permanent', a: { memberIds: [a, b] } });
    const m = await settled(r.data.sendMessage.id);
    const byPhone = Object.fromEntries(m.recipients.nodes.map((n: { phone: string }) => [n.phone, n]));
    expect(byPhone[invalid]).toMatchObject({ status: 'FAILED', errorCode: '21211', attempts: 1 });
    expect(byPhone[unsub]).toMatchObject({ status: 'FAILED', errorCode: '21610', attempts: 1 });
    expect(fake.countsByTo().get(invalid) ?? 0).toBe(0);
    const member = await s.gql('query($id: ID!) { member(id: $id) { smsOptedOut smsOptOutVia } }', { id: b });
    expect(member.data.member).toEqual({ smsOptedOut: true, smsOptOutVia: 'error:21610' });
  });

  it('429 and 5xx are retried with backoff and end delivered once', async () => {
    const busy = nextPhone();
    const broken = nextPhone();
    fake.failFor(busy, 429, 1);
    fake.failFor(broken, 500, 1);
    const ids = [await person(busy), await person(broken)];
    const r = await s.gql(SEND, { c: String(church.churchId), body: 'Retry me', a: { memberIds: ids } });
    const m = await settled(r.data.sendMessage.id);
    expect(m.counts).toMatchObject({ delivered: 2, failed: 0 });
    for (const n of m.recipients.nodes) expect(n.attempts).toBe(2);
    expect(fake.countsByTo().get(busy)).toBe(1);
    expect(fake.countsByTo().get(broken)).toBe(1);
  });

  it('a dropped connection after Twilio accepted the text: the retry asks Twilio and does not send again', async () => {
    const dropped = nextPhone();
    const hung = nextPhone();
    fake.failFor(dropped, 'drop-after-accept', 1);
    fake.failFor(hung, 'timeout-after-accept', 1);
    const ids = [await person(dropped), await person(hung)];
    const r = await s.gql(SEND, { c: String(church.churchId), body: 'Exactly once', a: { memberIds: ids } });
    const m = await settled(r.data.sendMessage.id);
    expect(m.counts).toMatchObject({ delivered: 2, failed: 0 });
    expect(fake.countsByTo().get(dropped)).toBe(1);
    expect(fake.countsByTo().get(hung)).toBe(1);
    // the second attempt either found the text at Twilio, or found the row already delivered by
    // a callback that named the recipient: one text either way
    for (const n of m.recipients.nodes) expect(n.attempts).toBeLessThanOrEqual(2);
  });

  it('a carrier error (30003) in a callback sends again, once, in a new round', async () => {
    const flaky = nextPhone();
    fake.finalStatusFor(flaky, 'undelivered', 30003);
    const r = await s.gql(SEND, { c: String(church.churchId), body: 'Carrier retry', a: { memberIds: [await person(flaky)] } });
    await waitFor('three rounds', async () => (fake.countsByTo().get(flaky) ?? 0) >= 3, 20_000);
    const m = await settled(r.data.sendMessage.id);
    expect(m.recipients.nodes[0]).toMatchObject({ status: 'UNDELIVERED', attempts: 3 });
    expect(fake.countsByTo().get(flaky)).toBe(3); // MAX_SEND_ROUNDS
  }, 30_000);

  it('live progress: a subscriber sees the counts move until done', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await person(nextPhone()));
    // scheduled a little ahead, so the subscription is open before the first text goes
    const r = await s.gql(SEND, { c: String(church.churchId), body: 'Progress', a: { memberIds: ids }, at: new Date(Date.now() + 1500).toISOString(), urgent: true });
    const id = r.data.sendMessage.id;
    const events = await subscribe(
      s.url,
      'subscription($id: ID!) { messageProgress(messageId: $id) { messageId done counts { queued sent delivered total } } }',
      { id },
      { headers: s.adminHeaders, count: 100, timeoutMs: 8000 },
    ).then((o) => o.events.map((e) => e.messageProgress));
    expect(events[0]).toMatchObject({ messageId: id, done: false, counts: { queued: 5, total: 5 } });
    expect(events.length).toBeGreaterThan(1);
    const last = events.findLast((e) => e.counts.delivered === 5);
    expect(last, JSON.stringify(events)).toBeDefined();
    expect(last.done).toBe(true);
  });

  it('cancel: recipients not yet sent are cancelled and nothing goes out', async () => {
    const ids = [await person(nextPhone()), await person(nextPhone())];
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const r = await s.gql(SEND, { c: String(church.churchId), body: 'Cancelled text', a: { memberIds: ids }, at: later });
    expect(r.data.sendMessage.status).toBe('SCHEDULED');
    const c = await s.gql('mutation($id: ID!) { cancelMessage(id: $id) { status cancelledAt counts { cancelled queued } } }', { id: r.data.sendMessage.id });
    expect(c.errors).toBeUndefined();
    expect(c.data.cancelMessage).toMatchObject({ status: 'CANCELLED', counts: { cancelled: 2, queued: 0 } });
    const again = await s.gql('mutation($id: ID!) { cancelMessage(id: $id) { status } }', { id: r.data.sendMessage.id });
    expect(again.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    // the jobs are gone from the queue, and a sweep does not bring them back
    await worker.sweepNow();
    const queue = createQueue('sms', bullConnection(TEST_REDIS_URL, 'producer'), s.config.redis.keyPrefix);
    try {
      expect(await queue.getDelayedCount()).toBe(0);
    } finally {
      await queue.close();
    }
    expect(fake.messages.some((m) => m.body === 'Cancelled text')).toBe(false);
  });

  it('Redis unavailable when sending: the mutation answers, the sweeper enqueues the outbox later', async () => {
    const real = s.deps.smsQueue;
    const deadConnection = bullConnection('redis://127.0.0.1:9', 'producer');
    deadConnection.on('error', () => {});
    const dead = createQueue('sms', deadConnection, s.config.redis.keyPrefix);
    dead.on('error', () => {});
    s.deps.smsQueue = dead;
    try {
      const ids = [await person(nextPhone()), await person(nextPhone())];
      const started = Date.now();
      const r = await s.gql(SEND, { c: String(church.churchId), body: 'Outbox', a: { memberIds: ids } });
      expect(r.errors).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(4000);
      s.deps.smsQueue = real;
      const m = await settled(r.data.sendMessage.id);
      expect(m.counts.delivered).toBe(2);
      expect(fake.messages.filter((x) => x.body === 'Outbox')).toHaveLength(2);
    } finally {
      s.deps.smsQueue = real;
      await dead.close().catch(() => {});
      deadConnection.disconnect();
    }
  });
});

describe('Twilio webhooks', () => {
  const post = async (path: string, params: Record<string, string>, signature?: string) => {
    const url = `${s.config.publicUrl}/webhooks/twilio/${path}`;
    const sig = signature ?? twilio.getExpectedTwilioSignature(fake.authToken, url, params);
    const res = await fetch(`${s.url}/webhooks/twilio/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
      body: new URLSearchParams(params).toString(),
    });
    return { status: res.status, text: await res.text() };
  };

  it('computes the same signature as the twilio SDK', () => {
    const params = { MessageSid: 'SM1', MessageStatus: 'delivered', Body: 'ünïcode & spaces' };
    expect(twilioSignature(fake.authToken, 'https://api.example.org/webhooks/twilio/status', params)).toBe(
      twilio.getExpectedTwilioSignature(fake.authToken, 'https://api.example.org/webhooks/twilio/status', params),
    );
  });

  it('refuses bad signatures with 403 and changes nothing', async () => {
    const phone = nextPhone();
    const id = await person(phone);
    expect((await post('status', { MessageSid: 'SMx', MessageStatus: 'delivered' }, 'bm90LXZhbGlk')).status).toBe(403);
    expect((await post('inbound', { From: phone, To: FROM, Body: 'STOP' }, 'bm90LXZhbGlk')).status).toBe(403);
    const signedForOtherUrl = twilio.getExpectedTwilioSignature(fake.authToken, 'http://elsewhere/webhooks/twilio/inbound', { From: phone, To: FROM, Body: 'STOP' });
    expect((await post('inbound', { From: phone, To: FROM, Body: 'STOP' }, signedForOtherUrl)).status).toBe(403);
    const m = await s.gql('query($id: ID!) { member(id: $id) { smsOptedOut } }', { id });
    expect(m.data.member.smsOptedOut).toBe(false);
  });

  it('applies statuses only forward and is idempotent on repeats', async () => {
    const phone = nextPhone();
    fake.finalStatusFor(phone, 'sent'); // the fake stops at sent: this test reports the rest
    const r = await s.gql(SEND, { c: String(church.churchId), body: 'Forward only', a: { memberIds: [await person(phone)] } });
    const m = await settled(r.data.sendMessage.id, { allowSent: true });
    const sid = fake.messages.find((x) => x.to === phone)!.sid;
    const state = async () => (await message(m.id)).recipients.nodes[0];
    expect((await state()).status).toBe('SENT');
    expect((await post('status', { MessageSid: sid, MessageStatus: 'delivered' })).status).toBe(204);
    expect((await state()).status).toBe('DELIVERED');
    await post('status', { MessageSid: sid, MessageStatus: 'sent' }); // late
    await post('status', { MessageSid: sid, MessageStatus: 'delivered' }); // repeat
    await post('status', { MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30005' }); // after final
    expect(await state()).toMatchObject({ status: 'DELIVERED', errorCode: null });
    expect((await post('status', { MessageSid: 'SMunknown', MessageStatus: 'delivered' })).status).toBe(204);
    fake.finalStatusFor(phone, 'delivered');
  });

  it('inbound STOP opts out everyone with that number in that church only; START opts back in; HELP answers', async () => {
    const phone = nextPhone();
    const here = [await person(phone), await person(phone)];
    const there = await person(phone, {}, other.churchId);
    const stop = await post('inbound', { From: phone, To: FROM, Body: ' stop ' });
    expect(stop.status).toBe(200);
    expect(stop.text).toMatch(/<Response><Message>You are unsubscribed/);
    for (const id of here) {
      const m = await s.gql('query($id: ID!) { member(id: $id) { smsOptedOut smsOptOutVia } }', { id });
      expect(m.data.member).toEqual({ smsOptedOut: true, smsOptOutVia: 'keyword:STOP' });
    }
    const elsewhere = await s.gql('query($id: ID!) { member(id: $id) { smsOptedOut } }', { id: there });
    expect(elsewhere.data.member.smsOptedOut).toBe(false);
    // an opted-out number is never texted
    const p = await s.gql(PREVIEW, { c: String(church.churchId), body: 'Hi', a: { memberIds: here } });
    expect(p.data.previewMessage).toMatchObject({ recipientCount: 0, skipped: { optedOut: 2 } });

    const start = await post('inbound', { From: phone, To: FROM, Body: 'UNSTOP' });
    expect(start.text).toMatch(/subscribed to .* again/);
    const back = await s.gql('query($id: ID!) { member(id: $id) { smsOptedOut } }', { id: here[0] });
    expect(back.data.member.smsOptedOut).toBe(false);

    const help = await post('inbound', { From: phone, To: FROM, Body: 'HELP' });
    expect(help.text).toContain('Grace Church: call 312-555-0100');
    const chat = await post('inbound', { From: phone, To: FROM, Body: 'See you Sunday!' });
    expect(chat.text).toMatch(/<Response><\/Response>/);
  });
});
