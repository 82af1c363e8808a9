import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startLocalSmtp, type LocalSmtp } from './helpers/local-smtp.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// A worker SIGKILLed in the middle of an SMTP transaction, at the two instants that matter: before
// the hand-over (the server never got the final dot: the email must be sent again, once) and after
// it (the server has the email, its 250 never reached the worker: it must not be sent again). Then a
// drill of 200 emails with two kills at random moments: no address gets two, none is lost unseen.
let smtp: LocalSmtp;
let s: TestServer;
let church: SeededChurch;
let worker: ChildProcess | undefined;

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      DATABASE_URL: s.config.db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: s.config.redis.keyPrefix,
      PUBLIC_URL: s.config.publicUrl,
      SMTP_URL: smtp.url,
      // a socket quiet for the timeout after DATA is 'no answer' → UNCONFIRMED, rightly; 1 s was
      // shorter than the hand-over's own UPDATE can take on a loaded CI machine (the next attempt
      // in 'before the hand-over' then ended UNCONFIRMED, not delivered). The lease must exceed
      // twice the timeout.
      SMS_SEND_TIMEOUT_MS: '3000',
      SMS_LEASE_S: '7',
      SMS_SWEEP_INTERVAL_S: '2',
      SMS_WORKER_CONCURRENCY: '10',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d) => process.stderr.write(`[worker] ${d}`));
  started.push(child);
  return child;
}
/** every worker this file started: afterAll kills any a failed test left running */
const started: ChildProcess[] = [];

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

async function sendTo(memberIds: number[], subject: string): Promise<number> {
  const r = await s.gql('mutation($c: ID!, $m: [ID!], $s: String) { sendMessage(churchId: $c, channel: EMAIL, subject: $s, body: "Crash drill", audience: { memberIds: $m }) { id } }', {
    c: String(church.churchId),
    m: memberIds.map(String),
    s: subject,
  });
  expect(r.errors).toBeUndefined();
  return Number(r.data.sendMessage.id);
}

async function people(n: number, tag: string): Promise<Array<{ id: number; email: string }>> {
  return s.database.sql<Array<{ id: number; email: string }>>`
    INSERT INTO members (church_id, first_name, last_name, email, status)
    SELECT ${church.churchId}, 'Crash', 'Person ' || i, ${tag} || i || '@example.org', 'member' FROM generate_series(1, ${n}) AS i
    RETURNING id, email`;
}

async function finalStatuses(messageId: number, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const rows = await s.database.sql<Array<{ email: string; status: string }>>`SELECT email, status FROM message_recipients WHERE message_id = ${messageId}`;
    if (rows.every((r) => !['queued', 'sending', 'sent'].includes(r.status))) return rows;
    if (Date.now() > until) throw new Error(`still open: ${JSON.stringify(rows.filter((r) => ['queued', 'sending'].includes(r.status)).slice(0, 5))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  smtp = await startLocalSmtp();
  s = await startTestServer('email-crash', { SMTP_URL: smtp.url });
  church = await seedChurch(s, { members: 0 });
}, 60_000);

afterAll(async () => {
  for (const child of started) await kill(child);
  // a SIGKILLed worker's SMTP sessions never say QUIT: the server's close is not waited on forever
  const within = (p: Promise<unknown> | undefined, what: string) =>
    Promise.race([p, new Promise((r) => setTimeout(r, 5000).unref())]).then(() => undefined, (e: unknown) => console.warn(what, e));
  await within(smtp?.close(), 'smtp close');
  await within(s?.close(), 'server close');
}, 30_000);

beforeEach(() => smtp.reset());

describe('a worker killed mid-send', () => {
  it('after the hand-over (the server has it, its 250 never came back): not sent again, ends UNCONFIRMED', async () => {
    const [p] = await people(1, 'after-');
    let release!: () => void;
    smtp.holdAfterData = new Promise((r) => (release = r));
    worker = startWorker();
    const messageId = await sendTo([p!.id], 'After the dot');
    await smtp.waitForCount(1, 30_000);
    await kill(worker);
    release();
    smtp.holdAfterData = null;
    worker = startWorker();
    const rows = await finalStatuses(messageId);
    await new Promise((r) => setTimeout(r, 1500)); // the sweeper's turn too: nothing more arrives
    expect(rows).toEqual([{ email: p!.email, status: 'unconfirmed' }]);
    expect(smtp.received.map((m) => m.to[0])).toEqual([p!.email]);
    await kill(worker);
  }, 60_000);

  it('before the hand-over (held at RCPT): the server discards that transaction, the next attempt sends it once', async () => {
    const [p] = await people(1, 'before-');
    let release!: () => void;
    smtp.holdRcpt = new Promise((r) => (release = r));
    const reached = smtp.rcptReached();
    worker = startWorker();
    const messageId = await sendTo([p!.id], 'Before the dot');
    await reached;
    await kill(worker);
    release();
    smtp.holdRcpt = null;
    worker = startWorker();
    const rows = await finalStatuses(messageId);
    await new Promise((r) => setTimeout(r, 1500));
    expect(rows).toEqual([{ email: p!.email, status: 'delivered' }]);
    expect(smtp.received.map((m) => m.to[0])).toEqual([p!.email]);
    await kill(worker);
  }, 60_000);

  it('200 emails, the worker SIGKILLed twice: duplicates = 0, and every email arrived or is UNCONFIRMED', async () => {
    const list = await people(200, 'drill-');
    worker = startWorker();
    const messageId = await sendTo(list.map((p) => p.id), 'Drill');
    for (const at of [40, 110]) {
      await smtp.waitForCount(at, 60_000);
      await kill(worker);
      worker = startWorker();
    }
    const rows = await finalStatuses(messageId, 90_000);
    await new Promise((r) => setTimeout(r, 1500));
    const byTo = new Map<string, number>();
    for (const m of smtp.received) byTo.set(m.to[0]!, (byTo.get(m.to[0]!) ?? 0) + 1);
    const duplicates = [...byTo.values()].filter((n) => n > 1).length;
    const status = new Map(rows.map((r) => [r.email, r.status]));
    const unseen = list.filter((p) => !byTo.has(p.email));
    const counts: Record<string, number> = {};
    for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
    console.log(`email crash drill: 200 emails, received = ${smtp.received.length}, distinct = ${byTo.size}, duplicates = ${duplicates}, not received = ${unseen.length}, statuses = ${JSON.stringify(counts)}`);
    expect(duplicates).toBe(0);
    // an email marked delivered was received; one not received is only ever UNCONFIRMED (said, not lost unseen)
    for (const [email, st] of status) if (st === 'delivered') expect(byTo.has(email)).toBe(true);
    for (const p of unseen) expect(status.get(p.email)).toBe('unconfirmed');
    expect((counts.delivered ?? 0) + (counts.unconfirmed ?? 0)).toBe(200);
    await kill(worker);
  }, 180_000);
});
