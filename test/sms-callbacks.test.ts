import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { startFakeTwilio, type FakeTwilio, twilioEnv } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// 10.12 end to end: Twilio accepts a text but the answer is lost; the retry finds the text at Twilio
// and records it; Twilio's status callbacks, which name the first attempt, come after that. They are
// held back by the fake until the retry has reconciled (a deterministic "4 s later"), then let go.

let fake: FakeTwilio;
let s: TestServer;
let worker: RunningWorker;
let church: SeededChurch;
let seq = 0;
const phone = () => `+1312555${String(8000 + seq++).padStart(4, '0')}`;

beforeAll(async () => {
  fake = await startFakeTwilio();
  s = await startTestServer('sms-callbacks', {
    ...twilioEnv(fake),
    SMS_SEND_TIMEOUT_MS: '500',
    SMS_LEASE_S: '2',
    SMS_WORKER_CONCURRENCY: '10',
  });
  church = await seedChurch(s, { members: 0 });
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550180' WHERE id = ${church.churchId}`;
  worker = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await s?.close();
  await fake?.close();
});

async function until<T>(what: string, fn: () => Promise<T | false | null | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Row = { phone: string; status: string; attempts: number; provider_sid: string | null; error_code: string | null; error_message: string | null };
const rows = (messageId: number) =>
  s.database.sql<Row[]>`SELECT phone, status, attempts, provider_sid, error_code, error_message FROM message_recipients WHERE message_id = ${messageId} ORDER BY id`;

describe('status callbacks after a reconciled retry', () => {
  it('3 of 10 answers dropped after Twilio accepted, callbacks late: every text ends DELIVERED, once', async () => {
    const phones = Array.from({ length: 10 }, phone);
    const dropped = new Set(phones.slice(0, 3));
    for (const p of dropped) fake.failFor(p, 'drop-after-accept', 1);
    const ids: string[] = [];
    for (const p of phones) {
      const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
        i: { churchId: String(church.churchId), firstName: 'Late', lastName: p, phone: p, status: 'MEMBER' },
      });
      ids.push(r.data.createMember.id);
    }
    fake.holdCallbacks();
    const sent = await s.gql('mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "Late callbacks", audience: { memberIds: $m }, urgent: true) { id } }', {
      c: String(church.churchId),
      m: ids,
    });
    expect(sent.errors).toBeUndefined();
    const messageId = Number(sent.data.sendMessage.id);

    // every text recorded SENT; the dropped ones by their second attempt, which found them at Twilio
    await until('all recorded sent', async () => {
      const rs = await rows(messageId);
      return rs.length === 10 && rs.every((r) => r.status === 'sent' && r.attempts === (dropped.has(r.phone) ? 2 : 1));
    });
    expect(fake.heldCallbacks).toBeGreaterThan(0);
    // now the callbacks, whose URLs name attempt 1 for all of them
    fake.resumeCallbacks();
    await fake.idle();
    expect(fake.callbackFailures).toEqual([]);

    const final = await rows(messageId);
    for (const r of final) {
      expect(r, r.phone).toMatchObject({ status: 'delivered', error_code: null, error_message: null });
      expect(r.provider_sid).toBe(fake.messages.find((m) => m.to === r.phone)!.sid);
    }
    for (const p of phones) expect(fake.countsByTo().get(p)).toBe(1);
    const callbackUrls = fake.callbacks.filter((c) => dropped.has(c.params.To!)).map((c) => new URL(c.url).searchParams.get('n'));
    expect(new Set(callbackUrls)).toEqual(new Set(['1']));
    // and the message says so once the worker publishes
    await until('COMPLETED', async () => (await s.gql('query($id: ID!) { message(id: $id) { status } }', { id: String(messageId) })).data.message.status === 'COMPLETED');
  }, 40_000);
});
