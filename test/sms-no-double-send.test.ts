import { DelayedError, type Job } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { parseWindow, type SendWindow } from '../src/modules/message/quiet-hours.js';
import { applyProviderStatus, requeueFailed, requeueForRetry } from '../src/modules/message/recipient.queries.js';
import type { ProgressPublisher } from '../src/realtime/publisher.js';
import { createSendSmsHandler } from '../worker/handlers/send-sms.handler.js';
import { createTwilioProvider } from '../worker/sms/twilio.js';
import { startFakeTwilio, type FakeTwilio } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Once an attempt's outcome is unknown (the request timed out or its connection dropped, maybe
// after Twilio accepted the text), every later attempt must ask Twilio first, until an outcome is
// known for sure. A look that finds nothing is not such an outcome: Twilio may still be working on
// the request the client gave up on ('accept-later' in the fake). So nothing that sends the
// recipient back to queued (a 429, quiet hours, an operator's retry) may make the next attempt skip
// the look. The attempts run one after the other by hand (a job stand-in, as BullMQ would run them).

let fake: FakeTwilio;
let s: TestServer;
let church: SeededChurch;
const FROM = '+13125550170';
let phoneSeq = 0;

beforeAll(async () => {
  fake = await startFakeTwilio();
  s = await startTestServer('sms-no-double-send', { SMS_WINDOW_START: '00:00', SMS_WINDOW_END: '24:00' });
  church = await seedChurch(s, { members: 0 });
  await s.database.sql`UPDATE churches SET sms_from_number = ${FROM} WHERE id = ${church.churchId}`;
}, 60_000);

afterAll(async () => {
  await s?.close();
  await fake?.close();
});

beforeEach(() => fake.reset());

const OPEN = parseWindow('00:00', '24:00');
/** never open: a non-urgent text is deferred to tomorrow */
const CLOSED: SendWindow = { startMin: 0, endMin: 0 };

function handler(window: SendWindow) {
  return createSendSmsHandler({
    db: s.database.db,
    provider: createTwilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url, timeoutMs: 300 }),
    progress: { touch() {} } as unknown as ProgressPublisher,
    log: createLogger('silent'),
    window,
    leaseS: 30,
    statusCallback: undefined,
  });
}

/** One text to a new person; returns the recipient row's job payload. */
async function oneText(body: string) {
  const phone = `+1312555${String(7000 + phoneSeq++).padStart(4, '0')}`;
  const m = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
    i: { churchId: String(church.churchId), firstName: 'Once', lastName: `Only ${phone}`, phone, status: 'MEMBER' },
  });
  expect(m.errors).toBeUndefined();
  const sent = await s.gql('mutation($c: ID!, $b: String!, $m: [ID!]) { sendMessage(churchId: $c, body: $b, audience: { memberIds: $m }) { id } }', {
    c: String(church.churchId),
    b: body,
    m: [m.data.createMember.id],
  });
  expect(sent.errors).toBeUndefined();
  const messageId = Number(sent.data.sendMessage.id);
  const [row] = await s.database.sql<{ id: number }[]>`SELECT id FROM message_recipients WHERE message_id = ${messageId}`;
  return { phone, data: { recipientId: row!.id, messageId, churchId: church.churchId, round: 0 } };
}

/** The n-th run (0-based) of a job of `attempts` attempts. */
function attempt(data: object, n: number, attempts = 3): Job {
  return { data, attemptsMade: n, opts: { attempts }, moveToDelayed: async () => {} } as unknown as Job;
}

async function row(id: number) {
  const [r] = await s.database.sql<{ status: string; provider_sid: string | null }[]>`
    SELECT status, provider_sid FROM message_recipients WHERE id = ${id}`;
  return r!;
}

function textsTo(phone: string) {
  return fake.messages.filter((m) => m.to === phone);
}

describe('after an attempt with an unknown outcome, every later attempt asks Twilio first', () => {
  it('unknown → 429 → next attempt: one text at Twilio, the recipient holds the first text', async () => {
    const t = await oneText('Unknown then refused');
    const send = handler(OPEN);
    fake.failNext(1, 'accept-later'); // attempt 1: times out; Twilio has not created it yet
    fake.failNext(1, 429); // attempt 2: looks (nothing yet), sends, refused outright

    await expect(send(attempt(t.data, 0))).rejects.toMatchObject({ kind: 'unknown' });
    await expect(send(attempt(t.data, 1))).rejects.toMatchObject({ kind: 'retry', httpStatus: 429 });
    expect(textsTo(t.phone)).toHaveLength(0);

    const [first] = fake.acceptLate(); // Twilio finishes attempt 1's request after all
    expect(first?.to).toBe(t.phone);
    await expect(send(attempt(t.data, 2))).resolves.toBe('reconciled');

    expect(textsTo(t.phone).map((m) => m.sid)).toEqual([first!.sid]);
    const r = await row(t.data.recipientId);
    expect(['sent', 'delivered']).toContain(r.status);
    expect(r.provider_sid).toBe(first!.sid);
  });

  it('unknown → deferred by quiet hours → next attempt: one text', async () => {
    const t = await oneText('Unknown then deferred');
    fake.failNext(1, 'accept-later');
    await expect(handler(OPEN)(attempt(t.data, 0))).rejects.toMatchObject({ kind: 'unknown' });
    // the next attempt comes outside the window: it is put off to the next opening
    await expect(handler(CLOSED)(attempt(t.data, 1))).rejects.toBeInstanceOf(DelayedError);
    const [first] = fake.acceptLate();

    await expect(handler(OPEN)(attempt(t.data, 1))).resolves.toBe('reconciled');
    expect(textsTo(t.phone).map((m) => m.sid)).toEqual([first!.sid]);
    expect((await row(t.data.recipientId)).provider_sid).toBe(first!.sid);
  });

  it('unknown on the last attempt → failed → an operator retries: the retry asks first, one text', async () => {
    const t = await oneText('Unknown then retried by hand');
    fake.failNext(1, 'accept-later');
    await expect(handler(OPEN)(attempt(t.data, 0, 1))).rejects.toMatchObject({ kind: 'unknown' });
    expect((await row(t.data.recipientId)).status).toBe('failed');
    expect(await requeueFailed(s.database.db, [t.data.recipientId])).toEqual([t.data.recipientId]);
    const [first] = fake.acceptLate();

    await expect(handler(OPEN)(attempt({ ...t.data, round: 1 }, 0))).resolves.toBe('reconciled');
    expect(textsTo(t.phone).map((m) => m.sid)).toEqual([first!.sid]);
    expect((await row(t.data.recipientId)).provider_sid).toBe(first!.sid);
  });

  it('an outcome known for sure ends the looking: a later round sends without asking', async () => {
    const t = await oneText('Known outcome');
    fake.finalStatusFor(t.phone, 'undelivered', 30003);
    fake.failNext(1, 'drop-after-accept');
    await expect(handler(OPEN)(attempt(t.data, 0))).rejects.toMatchObject({ kind: 'unknown' });
    await expect(handler(OPEN)(attempt(t.data, 1))).resolves.toBe('reconciled');
    expect(textsTo(t.phone)).toHaveLength(1);
    // the carrier failed that text and a new round is wanted (as the webhook does for 30003): a
    // look now would find the old text and wrongly take it for this round's
    await fake.idle();
    const [old] = textsTo(t.phone);
    expect(old!.status).toBe('undelivered');
    await applyProviderStatus(s.database.db, old!.sid, 'undelivered', 'undelivered', '30003'); // unless the look already did
    expect((await row(t.data.recipientId)).status).toBe('undelivered');
    expect(await requeueForRetry(s.database.db, t.data.recipientId)).not.toBeNull();
    await expect(handler(OPEN)(attempt({ ...t.data, round: 1 }, 0))).resolves.toBe('sent');
    expect(textsTo(t.phone)).toHaveLength(2);
    expect((await row(t.data.recipientId)).provider_sid).toBe(textsTo(t.phone)[1]!.sid);
  });
});
