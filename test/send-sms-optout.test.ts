import { UnrecoverableError, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/client.js';
import { createLogger } from '../src/lib/logger.js';
import { parseWindow } from '../src/modules/message/quiet-hours.js';
import type { ProgressPublisher } from '../src/realtime/publisher.js';
import { createSendSmsHandler } from '../worker/handlers/send-sms.handler.js';
import { SendError, type SmsProvider } from '../worker/sms/provider.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// The real cause behind messaging.test's flaky "permanent errors" (10.18), on the product side: a
// text refused as unsubscribed (Twilio 21610) was marked FAILED in one statement and the number
// opted out in the next, so anyone reading in between (a test's wait, a dashboard, the next
// message's claim) saw the failure without the opt-out. Here a reader looks after every statement
// the worker commits: it must never see one without the other.

let s: TestServer;
let church: SeededChurch;

beforeAll(async () => {
  s = await startTestServer('send-sms-optout');
  church = await seedChurch(s, { members: 0 });
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550160' WHERE id = ${church.churchId}`;
}, 60_000);

afterAll(async () => {
  await s?.close();
});

/** `db`, with `after()` run after each statement it (or a transaction of it) executes and commits. */
function watched(db: Db, after: () => Promise<void>): Db {
  const wrap = <T extends object>(target: T, inTx: boolean): T =>
    new Proxy(target, {
      get(t, k) {
        const v = Reflect.get(t, k) as unknown;
        if (k === 'execute') {
          return async (q: unknown) => {
            const r = await (v as (q: unknown) => Promise<unknown>).call(t, q);
            await after(); // inside a transaction: the reader sees what was committed before it
            return r;
          };
        }
        if (k === 'transaction' && !inTx) {
          return async (fn: (tx: object) => Promise<unknown>) => {
            const r = await (v as (f: typeof fn) => Promise<unknown>).call(t, (tx: object) => fn(wrap(tx, true)));
            await after();
            return r;
          };
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  return wrap(db, false);
}

describe('a text refused as unsubscribed (21610)', () => {
  it('fails and opts the number out in one step: no reader sees one without the other', async () => {
    const phone = '+13125559990';
    const m = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
      i: { churchId: String(church.churchId), firstName: 'Un', lastName: 'Subscribed', phone, status: 'MEMBER' },
    });
    const sent = await s.gql('mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "Hi", audience: { memberIds: $m }, urgent: true) { id } }', {
      c: String(church.churchId),
      m: [m.data.createMember.id],
    });
    expect(sent.errors).toBeUndefined();
    const messageId = Number(sent.data.sendMessage.id);
    const [row] = await s.database.sql<{ id: number }[]>`SELECT id FROM message_recipients WHERE message_id = ${messageId}`;

    const seen: Array<{ status: string; opted_out: boolean }> = [];
    const look = async () => {
      const [x] = await s.database.sql<{ status: string; opted_out: boolean }[]>`
        SELECT r.status, m.sms_opted_out_at IS NOT NULL AS opted_out
        FROM message_recipients r JOIN members m ON m.id = r.member_id WHERE r.id = ${row!.id}`;
      seen.push(x!);
    };
    const provider: SmsProvider = {
      name: 'unsubscribed',
      async send() {
        throw new SendError('unsubscribed', 'Attempt to send to unsubscribed recipient', 21610, 400);
      },
      async findSent() {
        return null;
      },
      async fetchStatus() {
        return null;
      },
    };
    const handler = createSendSmsHandler({
      db: watched(s.database.db, look),
      provider,
      progress: { touch() {} } as unknown as ProgressPublisher,
      log: createLogger('silent'),
      window: parseWindow('00:00', '24:00'),
      leaseS: 30,
      statusCallback: undefined,
    });
    const job = { data: { recipientId: row!.id, messageId, churchId: church.churchId, round: 0 }, attemptsMade: 0, opts: { attempts: 3 } } as unknown as Job;
    await expect(handler(job)).rejects.toBeInstanceOf(UnrecoverableError);

    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual({ status: 'failed', opted_out: true });
    expect(seen.filter((x) => x.status === 'failed' && !x.opted_out)).toEqual([]);
  });
});
