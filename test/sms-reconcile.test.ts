import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/lib/logger.js';
import { settleMessages } from '../src/modules/message/recipient.queries.js';
import { createReconciler, type ReconcilerSettings } from '../worker/reconciler.js';
import { createLogProvider } from '../worker/sms/log.js';
import { SendError } from '../worker/sms/provider.js';
import { createTwilioProvider } from '../worker/sms/twilio.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { startFakeTwilio, type FakeTwilio, twilioEnv } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { freePort, startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// Item 10.13: status callbacks lost while the API is down must not leave texts SENT for ever, nor
// let their message call itself COMPLETED. The worker here sends its texts with a status callback
// URL nobody listens on (the API "down" for the whole send): every callback is lost, and only the
// reconciler can learn what became of the texts. Time passing is simulated by moving sent_at and
// reconcile_at back, not by waiting.
let fake: FakeTwilio;
let s: TestServer;
let worker: RunningWorker;
let church: SeededChurch;
const FROM = '+13125550300';
const silent = createLogger('silent');

const SEND = `mutation($c: ID!, $a: AudienceInput!) { sendMessage(churchId: $c, body: "Reconcile me", audience: $a, urgent: true) { id recipientCount } }`;
const MESSAGE = `query($id: ID!) { message(id: $id) { status completedAt
  counts { queued sending sent delivered undelivered failed skipped cancelled unconfirmed total }
  recipients(first: 100) { nodes { phone status } } } }`;

let phoneSeq = 0;
const nextPhone = () => `+1312556${String(1000 + phoneSeq++).padStart(4, '0')}`;

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function people(n: number): Promise<{ ids: string[]; phones: string[] }> {
  const phones = Array.from({ length: n }, nextPhone);
  const ids: string[] = [];
  for (const phone of phones) {
    const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
      i: { churchId: String(church.churchId), firstName: 'Lost', lastName: `Callback ${phone}`, phone, status: 'MEMBER' },
    });
    expect(r.errors).toBeUndefined();
    ids.push(r.data.createMember.id);
  }
  return { ids, phones };
}

/**
 * Sends to `memberIds` and waits until every text is handed to the fake and its callbacks are lost:
 * each recipient is then SENT, and only the reconciler can learn more.
 */
async function sendWithLostCallbacks(memberIds: string[]): Promise<number> {
  const r = await s.gql(SEND, { c: String(church.churchId), a: { memberIds } });
  expect(r.errors).toBeUndefined();
  const id = Number(r.data.sendMessage.id);
  const rows = await waitFor('every text handed to the fake', async () => {
    const x = await s.database.sql<{ status: string }[]>`SELECT status FROM message_recipients WHERE message_id = ${id}`;
    return x.every((y) => y.status !== 'queued' && y.status !== 'sending') ? x : null;
  });
  // the premise of every test here: nothing but the (lost) callbacks could have told us more
  expect(rows.map((x) => x.status)).toEqual(memberIds.map(() => 'sent'));
  await fake.idle(); // every status step has happened at the fake, and every callback has failed
  return id;
}

/** Time passes for a message's SENT recipients: sent (and due) `seconds` earlier. */
async function age(messageId: number, seconds: number) {
  await s.database.sql`
    UPDATE message_recipients SET sent_at = sent_at - make_interval(secs => ${seconds}),
      reconcile_at = CASE WHEN reconcile_at IS NULL THEN NULL ELSE reconcile_at - make_interval(secs => ${seconds}) END
    WHERE message_id = ${messageId} AND status = 'sent'`;
}

async function statusOf(messageId: number): Promise<string> {
  await settleMessages(s.database.db, [messageId]);
  const [m] = await s.database.sql<[{ status: string }]>`SELECT status FROM messages WHERE id = ${messageId}`;
  return m.status;
}

const settings = (over: Partial<ReconcilerSettings> = {}): ReconcilerSettings => ({
  afterS: 600,
  unconfirmedAfterS: 72 * 3600,
  batch: 100,
  ratePerS: 1000,
  maxBackoffS: 6 * 3600,
  requestTimeoutMs: 1000,
  ...over,
});

beforeAll(async () => {
  fake = await startFakeTwilio();
  s = await startTestServer('reconcile', {
    ...twilioEnv(fake),
    // the fake answers at once: no send may time out here (a retry would find the text at the fake
    // and record its status itself, which is not the lost-callback case under test)
    SMS_SEND_TIMEOUT_MS: '5000',
    SMS_LEASE_S: '11',
    SMS_SWEEP_INTERVAL_S: '1',
    SMS_WORKER_CONCURRENCY: '10',
    CACHE_ENABLED: 'false',
    // the defaults of the reconciler (600 s, 72 h) apply; its timer never fires during the test
    SMS_RECONCILE_INTERVAL_S: '3600',
  });
  church = await seedChurch(s, { members: 0 });
  await s.database.sql`UPDATE churches SET sms_from_number = ${FROM} WHERE id = ${church.churchId}`;
  // status callbacks go to a port nothing listens on: the API is down whenever Twilio calls
  const down = `http://127.0.0.1:${await freePort()}`;
  worker = await startWorker({ ...s.config, publicUrl: down }, silent, { db: s.config.db.url!, redis: TEST_REDIS_URL });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await s?.close();
  await fake?.close();
});

describe('reconciling texts whose callbacks were lost', () => {
  it('asks Twilio after SMS_RECONCILE_AFTER_S, ends every recipient final, COMPLETED only then; never confirmed → UNCONFIRMED at the horizon', async () => {
    const { ids, phones } = await people(6);
    fake.finalStatusFor(phones[3]!, 'undelivered', 30007);
    fake.finalStatusFor(phones[4]!, 'sent'); // Twilio never learns more about these two
    fake.finalStatusFor(phones[5]!, 'sent');
    fake.fetches.length = 0;
    const id = await sendWithLostCallbacks(ids);
    expect(fake.callbackFailures.filter((c) => phones.includes(c.params.To!)).length).toBeGreaterThanOrEqual(6);

    // SENT is not final: the message is still sending
    expect(await statusOf(id)).toBe('sending');

    // not due yet (sent moments ago): Twilio is not asked
    expect((await worker.reconcileNow()).claimed).toBe(0);
    expect(fake.fetches).toHaveLength(0);

    await age(id, 601);
    const first = await worker.reconcileNow();
    expect(first).toMatchObject({ claimed: 6, asked: 6, final: 4, rescheduled: 2, unconfirmed: 0 });
    expect(fake.fetches).toHaveLength(6);
    expect(await statusOf(id)).toBe('sending'); // two are still SENT: they can still change

    // backoff: asked again only when their next time comes
    expect((await worker.reconcileNow()).claimed).toBe(0);
    await age(id, 601);
    expect(await worker.reconcileNow()).toMatchObject({ claimed: 2, rescheduled: 2 });
    expect(fake.fetches).toHaveLength(8);

    // the horizon (72 h after sending) passes without a word from Twilio
    await age(id, 72 * 3600);
    expect(await worker.reconcileNow()).toMatchObject({ claimed: 2, asked: 2, unconfirmed: 2 });
    expect(fake.fetches).toHaveLength(10);
    expect((await worker.reconcileNow()).claimed).toBe(0); // final: never asked about again

    const m = await waitFor('COMPLETED', async () => {
      const r = await s.gql(MESSAGE, { id: String(id) });
      return r.data.message.status === 'COMPLETED' ? r.data.message : null;
    });
    expect(m.completedAt).not.toBeNull();
    expect(m.counts).toMatchObject({ queued: 0, sending: 0, sent: 0, delivered: 3, undelivered: 1, unconfirmed: 2, total: 6 });
    const byPhone = new Map((m.recipients.nodes as Array<{ phone: string; status: string }>).map((n) => [n.phone, n.status]));
    expect(byPhone.get(phones[4]!)).toBe('UNCONFIRMED');
    expect(byPhone.get(phones[3]!)).toBe('UNDELIVERED');

    const a = await s.gql(`query($c: ID!) { analytics(churchId: $c) { messaging { textsSent delivered failed unconfirmed deliveryRate } } }`, {
      c: String(church.churchId),
    });
    expect(a.errors).toBeUndefined();
    expect(a.data.analytics.messaging).toEqual({ textsSent: 6, delivered: 3, failed: 1, unconfirmed: 2, deliveryRate: 0.75 });
  });

  it('claims at most SMS_RECONCILE_BATCH at a time and asks at most SMS_RECONCILE_RATE_PER_S a second (counted at the fake)', async () => {
    const { ids } = await people(25);
    const id = await sendWithLostCallbacks(ids);
    await age(id, 601);
    fake.fetches.length = 0;
    const batches: number[] = [];
    const rate = 10;
    const reconciler = createReconciler({
      db: s.database.db,
      provider: createTwilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url, timeoutMs: 1000 }),
      log: silent,
      touched: () => {},
      queue: s.deps.smsQueue,
      settings: settings({ batch: 10, ratePerS: rate }),
      afterClaim: async (claimed) => void batches.push(claimed.length),
    });
    const stats = await reconciler.runOnce();
    expect(batches).toEqual([10, 10, 5]);
    expect(stats).toMatchObject({ claimed: 25, asked: 25, final: 25 });
    expect(fake.fetches).toHaveLength(25);
    // Questions start at most `rate` in any second and go one at a time (the next starts after the
    // previous answer), so in any second the fake sees at most rate + 1 arrivals: the one whose
    // start fell just before the second, and `rate` that started within it.
    const at = fake.fetches.map((f) => f.at);
    const busiest = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBeLessThanOrEqual(rate + 1);
    expect(at[at.length - 1]! - at[0]!).toBeGreaterThanOrEqual(1000);
    expect(await statusOf(id)).toBe('completed');
  });

  it('two reconcilers never ask about the same recipient: a claimed batch is leased', async () => {
    const { ids } = await people(12);
    const id = await sendWithLostCallbacks(ids);
    await age(id, 601);
    fake.fetches.length = 0;
    const provider = createTwilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url, timeoutMs: 1000 });
    const make = (afterClaim?: () => Promise<void>) =>
      createReconciler({ db: s.database.db, provider, log: silent, touched: () => {},
      queue: s.deps.smsQueue, settings: settings({ batch: 5 }), afterClaim });
    // B runs entirely between A's claim and A's questions: it must find none of A's recipients due
    let bStats: Awaited<ReturnType<ReturnType<typeof make>['runOnce']>> | undefined;
    const b = make();
    let once = false;
    const a = make(async () => {
      if (once) return;
      once = true;
      bStats = await b.runOnce();
    });
    const aStats = await a.runOnce();
    expect(aStats.claimed + bStats!.claimed).toBe(12);
    expect(bStats!.claimed).toBe(7);
    // and both at once, in whatever interleaving: each text is asked about once
    const sids = new Set(fake.fetches.map((f) => f.sid));
    expect(sids.size).toBe(12);
    expect(fake.fetches).toHaveLength(12);

    const more = await people(12);
    const id2 = await sendWithLostCallbacks(more.ids);
    await age(id2, 601);
    fake.fetches.length = 0;
    const [x, y] = await Promise.all([make().runOnce(), make().runOnce()]);
    expect(x.claimed + y.claimed).toBe(12);
    expect(new Set(fake.fetches.map((f) => f.sid)).size).toBe(12);
    expect(fake.fetches).toHaveLength(12);
    expect(await statusOf(id)).toBe('completed');
    expect(await statusOf(id2)).toBe('completed');
  });

  it('a batch cut short by rows another worker holds does not end the run while more is due', async () => {
    const { ids } = await people(12);
    const id = await sendWithLostCallbacks(ids);
    await age(id, 601);
    // another worker's claim, caught in the middle: it holds the 3 oldest (the first batch's candidates)
    const reconciler = createReconciler({
      db: s.database.db,
      provider: createTwilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url, timeoutMs: 1000 }),
      log: silent,
      touched: () => {},
      queue: s.deps.smsQueue,
      settings: settings({ batch: 5 }),
    });
    const other = await s.database.sql.reserve();
    try {
      await other`BEGIN`;
      await other`SELECT id FROM message_recipients WHERE message_id = ${id} ORDER BY sent_at, id LIMIT 3 FOR UPDATE`;
      expect((await reconciler.runOnce()).claimed).toBe(9); // all but the 3 held; the first batch came back with 2
    } finally {
      await other`ROLLBACK`;
      other.release();
    }
    expect((await reconciler.runOnce()).claimed).toBe(3); // released: due, and taken now
    expect(await statusOf(id)).toBe('completed');
  });
});

describe('reconciling a retryable carrier error', () => {
  it('an undelivered 30003 learnt from Twilio sends again, once, as a callback would have', async () => {
    const { ids, phones } = await people(1);
    const phone = phones[0]!;
    fake.finalStatusFor(phone, 'undelivered', 30003);
    const id = await sendWithLostCallbacks(ids);
    fake.finalStatusFor(phone, 'delivered'); // the handset is reachable again
    await age(id, 601);
    expect(await worker.reconcileNow()).toMatchObject({ claimed: 1, final: 1 });
    // a new round, sent by the worker after its backoff; its callbacks are lost too
    await waitFor('the second text', async () => {
      const [r] = await s.database.sql<[{ status: string; attempts: number }]>`
        SELECT status, attempts FROM message_recipients WHERE message_id = ${id}`;
      return r.status === 'sent' && r.attempts === 2;
    });
    await fake.idle();
    expect(fake.messages.filter((m) => m.to === phone)).toHaveLength(2);
    await age(id, 601);
    expect(await worker.reconcileNow()).toMatchObject({ claimed: 1, final: 1 });
    const [r] = await s.database.sql<[{ status: string }]>`SELECT status FROM message_recipients WHERE message_id = ${id}`;
    expect(r.status).toBe('delivered');
    expect(await statusOf(id)).toBe('completed');
  });
});

describe('reconciler settings', () => {
  it('default to 600 s and 72 h; the horizon must come after the first question', () => {
    expect(loadConfig({}).sms.reconcile).toEqual({ afterS: 600, unconfirmedAfterS: 259_200, intervalS: 30, batch: 100, ratePerS: 10, maxBackoffS: 21_600 });
    expect(() => loadConfig({ SMS_RECONCILE_AFTER_S: '600', SMS_UNCONFIRMED_AFTER_S: '600' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMS_RECONCILE_AFTER_S: '600', SMS_UNCONFIRMED_AFTER_S: '600' })).toThrow(/SMS_UNCONFIRMED_AFTER_S: must be more than SMS_RECONCILE_AFTER_S/);
  });
});

describe('fetchStatus of the providers', () => {
  it('twilio: messages(sid).fetch() through the SDK; an unknown sid is null; bad credentials throw a SendError', async () => {
    const provider = createTwilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url });
    const phone = nextPhone();
    fake.finalStatusFor(phone, 'sent');
    const sent = await provider.send({ to: phone, from: FROM, body: 'fetch me' });
    await fake.idle();
    expect(await provider.fetchStatus(sent.sid)).toMatchObject({ sid: sent.sid, status: 'sent' });
    expect(await provider.fetchStatus(`SM${'0'.repeat(32)}`)).toBeNull();
    const wrong = createTwilioProvider({ accountSid: fake.accountSid, authToken: 'x'.repeat(32), apiUrl: fake.url });
    await expect(wrong.fetchStatus(sent.sid)).rejects.toBeInstanceOf(SendError);
  });

  it('log: answers from its own record', async () => {
    const provider = createLogProvider(silent, () => {}, 10);
    const sent = await provider.send({ to: '+13125550999', from: FROM, body: 'hi' });
    expect(await provider.fetchStatus(sent.sid)).toMatchObject({ status: 'queued' });
    await new Promise((r) => setTimeout(r, 30));
    expect(await provider.fetchStatus(sent.sid)).toMatchObject({ status: 'delivered' });
    expect(await provider.fetchStatus('LGunknown')).toBeNull();
  });
});
