/**
 * worker/sms/twilio.ts through the real twilio SDK, against test/helpers/fake-twilio.ts.
 * No database or Redis needed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startFakeTwilio, type FakeTwilio, type FakeTwilioFault } from './helpers/fake-twilio.js';
import { SendError, type SmsProvider } from '../worker/sms/provider.js';
import { classifyTwilioError, createTwilioClient, createTwilioProvider } from '../worker/sms/twilio.js';

const FROM = '+15005550006';
const TIMEOUT_MS = 300;

let seq = 0;
/** a fresh destination number per test, so tests sharing the fake do not see each other's messages */
function nextTo(): string {
  seq++;
  return `+1415555${String(seq).padStart(4, '0')}`;
}

async function sendError(p: Promise<unknown>): Promise<SendError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SendError);
    return err as SendError;
  }
  throw new Error('expected the send to fail');
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let fake: FakeTwilio;
let provider: SmsProvider;
let clockOffsetMs = 0;

beforeAll(async () => {
  fake = await startFakeTwilio({ now: () => Date.now() + clockOffsetMs });
  provider = createTwilioProvider({
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    apiUrl: fake.url,
    timeoutMs: TIMEOUT_MS,
  });
});

afterAll(async () => {
  await fake?.close();
});

describe('send', () => {
  it('returns the sid and status queued; the fake recorded exactly one message', async () => {
    const to = nextTo();
    const before = fake.messages.length;
    const m = await provider.send({ to, from: FROM, body: 'Choir practice moved to 7pm' });
    expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(m.status).toBe('queued');
    expect(m.errorCode ?? null).toBeNull();
    expect(fake.messages.length).toBe(before + 1);
    const recorded = fake.messages.filter((x) => x.sid === m.sid);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ to, from: FROM, body: 'Choir practice moved to 7pm' });
    expect(fake.countsByTo().get(to)).toBe(1);
  });

  it('wrong credentials: permanent (401 / 20003)', async () => {
    // 'permanent', not 'retry': with a wrong SID/token every resend fails the same way, and retrying
    // would only burn the queue's attempts and hammer Twilio's auth. Nothing was sent, so not 'unknown'.
    // It is a configuration error for the whole account, which the worker should surface loudly.
    const bad = createTwilioProvider({ accountSid: fake.accountSid, authToken: 'wrong-token', apiUrl: fake.url, timeoutMs: TIMEOUT_MS });
    const to = nextTo();
    const err = await sendError(bad.send({ to, from: FROM, body: 'hi' }));
    expect(err.kind).toBe('permanent');
    expect(err.httpStatus).toBe(401);
    expect(err.code).toBe(20003);
    expect(fake.countsByTo().get(to)).toBeUndefined();
  });

  it('429 / 20429: retry, nothing created, the fault is used up', async () => {
    const to = nextTo();
    fake.failNext(1, 429);
    const err = await sendError(provider.send({ to, from: FROM, body: 'hi' }));
    expect(err.kind).toBe('retry');
    expect(err.code).toBe(20429);
    expect(err.httpStatus).toBe(429);
    expect(fake.countsByTo().get(to)).toBeUndefined();
    // autoRetry is off: exactly one request reached the fake; the next send goes through
    const m = await provider.send({ to, from: FROM, body: 'hi' });
    expect(m.status).toBe('queued');
    expect(fake.countsByTo().get(to)).toBe(1);
  });

  it('500: unknown', async () => {
    const to = nextTo();
    fake.failNext(2, 500);
    for (let i = 0; i < 2; i++) {
      const err = await sendError(provider.send({ to, from: FROM, body: 'hi' }));
      expect(err.kind).toBe('unknown');
      expect(err.httpStatus).toBe(500);
      expect(err.code).toBe(20500);
    }
    await provider.send({ to, from: FROM, body: 'hi' });
    expect(fake.countsByTo().get(to)).toBe(1);
  });

  it('timeout: unknown, within the configured timeoutMs', async () => {
    const to = nextTo();
    fake.failFor(to, 'timeout', 1);
    const t0 = performance.now();
    const err = await sendError(provider.send({ to, from: FROM, body: 'hi' }));
    const elapsed = performance.now() - t0;
    expect(err.kind).toBe('unknown');
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 700);
    expect(fake.countsByTo().get(to)).toBeUndefined();
  });

  it('drop after accept: unknown, the fake has the message, and findSent finds it', async () => {
    const to = nextTo();
    const since = new Date();
    fake.failFor(to, 'drop-after-accept', 1);
    const err = await sendError(provider.send({ to, from: FROM, body: 'Potluck Sunday' }));
    expect(err.kind).toBe('unknown');
    expect(fake.countsByTo().get(to)).toBe(1);
    const created = fake.messages.find((x) => x.to === to)!;
    const found = await provider.findSent({ to, from: FROM, body: 'Potluck Sunday', since });
    expect(found).not.toBeNull();
    expect(found!.sid).toBe(created.sid);
  });

  const permanent: [FakeTwilioFault, number][] = [
    [21211, 21211],
    [21214, 21214],
    [21612, 21612],
    [21614, 21614],
  ];
  it.each(permanent)('Twilio %s: permanent', async (fault, code) => {
    const to = nextTo();
    fake.failFor(to, fault);
    const err = await sendError(provider.send({ to, from: FROM, body: 'hi' }));
    expect(err.kind).toBe('permanent');
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(400);
    expect(err.message.length).toBeGreaterThan(0);
    expect(fake.countsByTo().get(to)).toBeUndefined();
  });

  it('Twilio 21610: unsubscribed', async () => {
    const to = nextTo();
    fake.failFor(to, 21610);
    const err = await sendError(provider.send({ to, from: FROM, body: 'hi' }));
    expect(err.kind).toBe('unsubscribed');
    expect(err.code).toBe(21610);
    expect(fake.countsByTo().get(to)).toBeUndefined();
  });

  it('connection refused: retry (nothing can have been sent)', async () => {
    const srv = http.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const { port } = srv.address() as AddressInfo;
    await new Promise<void>((r) => srv.close(() => r()));
    const p = createTwilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: `http://127.0.0.1:${port}`, timeoutMs: TIMEOUT_MS });
    const err = await sendError(p.send({ to: nextTo(), from: FROM, body: 'hi' }));
    expect(err.kind).toBe('retry');
    expect(err.message).toContain('ECONNREFUSED');
  });
});

describe('classifyTwilioError', () => {
  const rest = (status: number, code: number) => Object.assign(new Error(`HTTP ${status} / ${code}`), { status, code });
  const net = (code: string) => Object.assign(new Error(code), { code });
  it.each([
    [rest(429, 20429), 'retry'],
    [rest(503, 20503), 'unknown'],
    [rest(400, 21610), 'unsubscribed'],
    [rest(400, 21408), 'permanent'],
    [rest(400, 21606), 'permanent'],
    [rest(400, 21659), 'permanent'],
    [rest(400, 21999), 'permanent'],
    [rest(400, 30001), 'retry'],
    [rest(400, 30003), 'retry'],
    [rest(400, 30008), 'retry'],
    [net('ECONNREFUSED'), 'retry'],
    [net('ECONNRESET'), 'unknown'],
    [net('ECONNABORTED'), 'unknown'],
    [net('ETIMEDOUT'), 'unknown'],
    [new Error('socket hang up'), 'unknown'],
  ] as const)('%s → %s', (err, kind) => {
    expect(classifyTwilioError(err)).toBeInstanceOf(SendError);
    expect(classifyTwilioError(err).kind).toBe(kind);
  });
});

describe('findSent', () => {
  it('returns null when nothing matches: other body, other To, or earlier than since', async () => {
    const to = nextTo();
    const other = nextTo();
    const sent = await provider.send({ to, from: FROM, body: 'Youth group at 6' });
    const since = new Date(Date.now() - 1000);
    // sanity: the exact query finds it (so the nulls below are not vacuous)
    expect((await provider.findSent({ to, from: FROM, body: 'Youth group at 6', since }))?.sid).toBe(sent.sid);
    expect(await provider.findSent({ to, from: FROM, body: 'Youth group at 7', since })).toBeNull();
    expect(await provider.findSent({ to: other, from: FROM, body: 'Youth group at 6', since })).toBeNull();
    expect(await provider.findSent({ to, from: '+15005550007', body: 'Youth group at 6', since })).toBeNull();

    // a message created a minute before `since` (beyond the 2 s skew allowance) does not count
    const old = nextTo();
    clockOffsetMs = -60_000;
    try {
      await provider.send({ to: old, from: FROM, body: 'Old news' });
    } finally {
      clockOffsetMs = 0;
    }
    expect(await provider.findSent({ to: old, from: FROM, body: 'Old news', since: new Date() })).toBeNull();
    // …but it does with an earlier `since`
    expect(await provider.findSent({ to: old, from: FROM, body: 'Old news', since: new Date(Date.now() - 120_000) })).not.toBeNull();
  });

  it('returns the newest of several matches', async () => {
    const to = nextTo();
    const since = new Date();
    await provider.send({ to, from: FROM, body: 'dup' });
    const second = await provider.send({ to, from: FROM, body: 'dup' });
    expect((await provider.findSent({ to, from: FROM, body: 'dup', since }))?.sid).toBe(second.sid);
  });

  it('the fake pages lists newest first (next_page_uri followed by the SDK)', async () => {
    const client = createTwilioClient({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url });
    const to = nextTo();
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) sids.push((await provider.send({ to, from: FROM, body: `n${i}` })).sid);
    const listed = await client.messages.list({ to, pageSize: 2 });
    expect(listed.map((m) => m.sid)).toEqual([...sids].reverse());
    expect(listed[0]!.dateSent).toBeInstanceOf(Date);
    const yesterday = new Date(Date.now() - 86_400_000);
    expect(await client.messages.list({ to, dateSentBefore: yesterday })).toHaveLength(0);
  });
});

describe('status callbacks', () => {
  interface Received {
    url: string;
    signature: string;
    params: Record<string, string>;
  }
  let receiver: http.Server;
  let base: string;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        received.push({ url: base + req.url, signature: String(req.headers['x-twilio-signature'] ?? ''), params });
        res.statusCode = req.url?.startsWith('/broken') ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  const forSid = (sid: string) => received.filter((r) => r.params.MessageSid === sid);

  it('sent then delivered, signed so twilio.validateRequest accepts them', async () => {
    const to = nextTo();
    const m = await provider.send({ to, from: FROM, body: 'hi', statusCallback: `${base}/sms/status?church=7` });
    await waitFor(() => forSid(m.sid).length >= 2);
    const got = forSid(m.sid);
    expect(got.map((r) => r.params.MessageStatus)).toEqual(['sent', 'delivered']);
    for (const r of got) {
      expect(r.url).toBe(`${base}/sms/status?church=7`);
      expect(r.params).toMatchObject({ To: to, From: FROM, AccountSid: fake.accountSid, SmsSid: m.sid, ApiVersion: '2010-04-01' });
      expect(r.params.ErrorCode).toBeUndefined();
      expect(twilio.validateRequest(fake.authToken, r.signature, r.url, r.params)).toBe(true);
      // and the signature really covers the content
      expect(twilio.validateRequest(fake.authToken, r.signature, r.url, { ...r.params, MessageStatus: 'failed' })).toBe(false);
      expect(twilio.validateRequest('another-token', r.signature, r.url, r.params)).toBe(false);
    }
    // the stored message moved on too
    expect(fake.messages.find((x) => x.sid === m.sid)?.status).toBe('delivered');
  });

  it('configured final status: undelivered with ErrorCode 30003', async () => {
    const to = nextTo();
    fake.finalStatusFor(to, 'undelivered', 30003);
    const m = await provider.send({ to, from: FROM, body: 'hi', statusCallback: `${base}/sms/status` });
    await waitFor(() => forSid(m.sid).length >= 2);
    const got = forSid(m.sid);
    expect(got.map((r) => r.params.MessageStatus)).toEqual(['sent', 'undelivered']);
    expect(got[1]!.params.ErrorCode).toBe('30003');
    expect(twilio.validateRequest(fake.authToken, got[1]!.signature, got[1]!.url, got[1]!.params)).toBe(true);
  });

  it('failing callbacks are retried, then dropped and recorded', async () => {
    const to = nextTo();
    const m = await provider.send({ to, from: FROM, body: 'hi', statusCallback: `${base}/broken` });
    await fake.idle();
    expect(forSid(m.sid).length).toBe(6); // 2 statuses × 3 attempts
    const failures = fake.callbackFailures.filter((f) => f.params.MessageSid === m.sid);
    expect(failures.map((f) => f.params.MessageStatus)).toEqual(['sent', 'delivered']);
    expect(failures[0]!.attempts).toBe(3);
    expect(failures[0]!.error).toContain('500');
  });
});

describe('throughput', () => {
  it('2,000 sends at concurrency 50, each recorded exactly once', async () => {
    // the default 10 s timeout: the 300 ms of the fault tests is too tight for a cold 50-socket start
    const bulk = createTwilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url });
    const N = 2000;
    const CONCURRENCY = 50;
    const pool = async (n: number, task: (i: number) => Promise<unknown>) => {
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < n) await task(next++);
        }),
      );
      return (performance.now() - t0) / 1000;
    };
    // warm-up (JIT, sockets): a cold run measures mostly V8 compiling axios and the SDK
    const warm = await pool(500, (i) => bulk.send({ to: `+1206444${String(i).padStart(4, '0')}`, from: FROM, body: `warm ${i}` }));
    fake.reset();

    const tos = Array.from({ length: N }, (_, i) => `+1206555${String(i).padStart(4, '0')}`);
    const seconds = await pool(N, (i) => bulk.send({ to: tos[i]!, from: FROM, body: `bulk ${i}` }));
    console.log(
      `fake-twilio: ${N} sends via the twilio SDK, concurrency ${CONCURRENCY}: ${seconds.toFixed(2)} s, ` +
        `${Math.round(N / seconds)}/s (cold warm-up: ${Math.round(500 / warm)}/s; client and fake share one process)`,
    );
    expect(fake.messages).toHaveLength(N);
    const counts = fake.countsByTo();
    expect(counts.size).toBe(N);
    for (const to of tos) expect(counts.get(to)).toBe(1);
    expect(new Set(fake.messages.map((m) => m.body)).size).toBe(N);
    expect(new Set(fake.messages.map((m) => m.sid)).size).toBe(N);
  });
});
