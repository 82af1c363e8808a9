import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { parseWindow } from '../src/modules/message/quiet-hours.js';
import type { ProgressPublisher } from '../src/realtime/publisher.js';
import { createSendSmsHandler } from '../worker/handlers/send-sms.handler.js';
import { systemClock } from '../src/lib/clock.js';
import { createLogProvider, logDeliveryRecorder } from '../worker/sms/log.js';
import type { SmsProvider } from '../worker/sms/provider.js';
import { startWorker } from '../worker/worker.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// SMS_PROVIDER=log reports each text delivered shortly after sending, like a provider's callback.
// Like one, its report can come before the worker has recorded the text's id (10.17, 18.4): it must
// be applied, by the same rule as Twilio's callbacks, not dropped.

let s: TestServer;
let church: SeededChurch;
let seq = 0;
const log = createLogger('silent');
const noProgress = { touch() {} } as unknown as ProgressPublisher;

beforeAll(async () => {
  s = await startTestServer('log-provider', { SMS_WINDOW_START: '00:00', SMS_WINDOW_END: '24:00' });
  church = await seedChurch(s, { members: 0 });
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550190' WHERE id = ${church.churchId}`;
}, 60_000);

afterAll(async () => {
  await s?.close();
});

async function message(count: number, body: string): Promise<number> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const phone = `+1312555${String(9000 + seq++).padStart(4, '0')}`;
    const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
      i: { churchId: String(church.churchId), firstName: 'Log', lastName: phone, phone, status: 'MEMBER' },
    });
    ids.push(r.data.createMember.id);
  }
  const sent = await s.gql('mutation($c: ID!, $m: [ID!], $b: String!) { sendMessage(churchId: $c, body: $b, audience: { memberIds: $m }, urgent: true) { id } }', {
    c: String(church.churchId),
    m: ids,
    b: body,
  });
  expect(sent.errors).toBeUndefined();
  return Number(sent.data.sendMessage.id);
}

describe('the log provider', () => {
  it('a delivery report made before the worker records the send is applied, not lost', async () => {
    const messageId = await message(1, 'Early report');
    const [row] = await s.database.sql<{ id: number }[]>`SELECT id FROM message_recipients WHERE message_id = ${messageId}`;
    const warn = vi.spyOn(log, 'warn');
    // the report is made inside send() and finished before send() returns: the worker's own record
    // of the send (markSent) comes strictly after it
    const reports: Promise<void>[] = [];
    const record = logDeliveryRecorder({ db: s.database.db, smsQueue: s.deps.smsQueue, progress: noProgress, log, clock: systemClock });
    const inner = createLogProvider(log, (sid, tag) => void reports.push(record(sid, tag)), 0, (report) => report());
    const provider: SmsProvider = {
      ...inner,
      async send(sms) {
        const sent = await inner.send(sms);
        await Promise.all(reports);
        return sent;
      },
    };
    const handler = createSendSmsHandler({
      db: s.database.db,
      provider,
      progress: noProgress,
      log,
      window: parseWindow('00:00', '24:00'),
      leaseS: 30,
      statusCallback: undefined,
    });
    const job = { data: { recipientId: row!.id, messageId, churchId: church.churchId, round: 0 }, attemptsMade: 0, opts: { attempts: 3 } } as unknown as Job;
    expect(await handler(job)).toBe('sent');
    expect(reports).toHaveLength(1);
    const [after] = await s.database.sql<{ status: string; provider_sid: string }[]>`SELECT status, provider_sid FROM message_recipients WHERE id = ${row!.id}`;
    expect(after).toMatchObject({ status: 'delivered', provider_sid: expect.stringMatching(/^LG[0-9a-f]{32}$/) });
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('npm start\'s path: the worker with the log provider ends every recipient DELIVERED', async () => {
    const worker = await startWorker(s.config, log, { db: s.config.db.url!, redis: TEST_REDIS_URL });
    try {
      const messageId = await message(40, 'Demo send');
      const done = async () => {
        const rs = await s.database.sql<{ status: string }[]>`SELECT status FROM message_recipients WHERE message_id = ${messageId}`;
        const m = await s.gql('query($id: ID!) { message(id: $id) { status } }', { id: String(messageId) });
        return m.data.message.status === 'COMPLETED' && rs.every((r) => r.status === 'delivered') ? rs : null;
      };
      const end = Date.now() + 20_000;
      let rs = await done();
      while (!rs && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        rs = await done();
      }
      const counts = await s.database.sql`SELECT status, count(*)::int AS n FROM message_recipients WHERE message_id = ${messageId} GROUP BY status`;
      expect(rs, JSON.stringify(counts)).not.toBeNull();
      expect(rs).toHaveLength(40);
    } finally {
      await worker.close();
    }
  }, 40_000);
});
