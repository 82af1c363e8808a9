/**
 * A local stand-in for the part of Twilio's REST API (2010-04-01) the SMS worker uses, good enough for
 * the real twilio SDK pointed at it (see worker/sms/twilio.ts, option apiUrl):
 *
 * - POST /2010-04-01/Accounts/{AccountSid}/Messages.json   create (HTTP Basic auth, form-encoded)
 * - GET  /2010-04-01/Accounts/{AccountSid}/Messages.json   list, newest first; filters To, From,
 *        DateSent / DateSent> / DateSent>= / DateSent< / DateSent<= (YYYY-MM-DD or ISO date-time), PageSize, Page
 * - GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   fetch (each recorded in `fetches`)
 *
 * After a message is accepted its status moves queued → sent → delivered (or the final status
 * configured with finalStatusFor); when it has a StatusCallback each step is POSTed there, signed like
 * Twilio does (X-Twilio-Signature, HMAC-SHA1 of url + sorted params with the auth token). The callbacks of
 * one message are sent one after the other (the next waits for the previous to finish), so a receiver sees
 * them in order. A callback that fails (connection error or non-2xx) is retried, then dropped and recorded
 * in callbackFailures.
 *
 * Faults can be injected per destination number (failFor) or for the next N create requests (failNext).
 * Destination faults win over failNext; a request with bad credentials is answered 401 and consumes none.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

export type PermanentFaultCode = 21211 | 21214 | 21408 | 21606 | 21610 | 21612 | 21614 | 21659;

export type FakeTwilioFault =
  /** HTTP 429, Twilio code 20429; nothing created */
  | 429
  | '429'
  /** HTTP 500, Twilio code 20500; nothing created */
  | 500
  | '500'
  /** never answers (the client gives up); nothing created */
  | 'timeout'
  /** creates the message, then never answers */
  | 'timeout-after-accept'
  /** creates the message, then destroys the socket without answering */
  | 'drop-after-accept'
  /**
   * never answers; the message is created only when acceptLate() is called: Twilio still working
   * on a request the client has given up on, so a look right after the timeout finds nothing
   */
  | 'accept-later'
  /** HTTP 400 with this Twilio error code (21610: HTTP 400 too, as Twilio answers it); nothing created */
  | PermanentFaultCode
  | `${PermanentFaultCode}`;

export type FakeMessageStatus = 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface FakeMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  status: FakeMessageStatus;
  errorCode: number | null;
  statusCallback: string | null;
  numSegments: number;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date;
  /** every form field of the create request */
  params: Record<string, string>;
}

export interface CallbackRecord {
  url: string;
  params: Record<string, string>;
  signature: string;
}

export interface CallbackFailure extends CallbackRecord {
  attempts: number;
  error: string;
}

export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
  /** [delay before "sent", delay before the final status], from acceptance; default [5, 10] */
  callbackDelaysMs?: [number, number];
  /** attempts per status callback before it is dropped; default 3 */
  callbackAttempts?: number;
  /** the fake's clock (ms since epoch); default Date.now. Lets tests create messages "in the past". */
  now?: () => number;
}

export interface FakeTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  /** every created message, in creation order (the same array across reset()) */
  readonly messages: FakeMessage[];
  countsByTo(): Map<string, number>;
  /** the next n create requests (after auth) fail with fault (queued behind earlier failNext faults) */
  failNext(n: number, fault: FakeTwilioFault): void;
  /** creates the messages of the requests held by 'accept-later' now; returns them */
  acceptLate(): FakeMessage[];
  /** create requests to `to` fail with fault, `times` times (default: until reset) */
  failFor(to: string, fault: FakeTwilioFault, times?: number): void;
  /** messages to `to` end in this status (default delivered), with ErrorCode when given */
  finalStatusFor(to: string, status: Exclude<FakeMessageStatus, 'queued'>, errorCode?: number): void;
  /** status callbacks delivered (2xx), in the order they completed */
  readonly callbacks: CallbackRecord[];
  /** status callbacks dropped after their last failed attempt */
  readonly callbackFailures: CallbackFailure[];
  /** number of create requests received (any outcome, auth failures included) */
  readonly createRequests: number;
  /** fetch requests (GET …/Messages/{Sid}.json, authenticated), in arrival order, with the fake's clock */
  readonly fetches: Array<{ sid: string; at: number }>;
  /** resolves when no status callback is pending */
  idle(): Promise<void>;
  /** status callbacks wait (messages still move on) until resumeCallbacks(): a deterministic "late" */
  holdCallbacks(): void;
  resumeCallbacks(): void;
  /** status callbacks held back now (waiting for resumeCallbacks) */
  readonly heldCallbacks: number;
  reset(): void;
  close(): Promise<void>;
}

const API = '2010-04-01';
const DEFAULT_ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const DEFAULT_AUTH_TOKEN = 'f'.repeat(32);

const PERMANENT_MESSAGES: Record<PermanentFaultCode, (to: string, from: string) => string> = {
  21211: (to) => `The 'To' number ${to} is not a valid phone number.`,
  21214: () => "'To' phone number cannot be reached",
  21408: (to) => `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
  21606: (_to, from) =>
    `The 'From' phone number provided (${from}) is not a valid message-capable Twilio phone number for this destination.`,
  21610: () => 'Attempt to send to unsubscribed recipient',
  21612: (to, from) =>
    `The 'To' phone number: ${to}, is not currently reachable using the 'From' phone number: ${from} via SMS.`,
  21614: (to) => `'To' number ${to} is not a valid mobile number`,
  21659: (_to, from) => `Source number ${from} is not a valid Twilio phone number or short code for this account.`,
};

interface ActiveFault {
  fault: string;
  remaining: number;
}

/** Twilio's date format: RFC 2822, "Thu, 28 Nov 2026 12:00:00 +0000" */
function rfc2822(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

const GSM7 = /^[A-Za-z0-9 \r\n@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[~\]|€]*$/;

function segments(body: string): number {
  const len = [...body].length;
  if (GSM7.test(body)) return len <= 160 ? 1 : Math.ceil(len / 153);
  return len <= 70 ? 1 : Math.ceil(len / 67);
}

function errorBody(status: number, code: number, message: string): string {
  return JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A DateSent filter value: a day (YYYY-MM-DD) compares by UTC day, a date-time by instant. */
function parseDateFilter(v: string): { day: string } | { ms: number } | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return { day: v };
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : { ms };
}

/**
 * The settings that point a server (or worker) at this fake through the real twilio SDK, with quiet
 * hours always open: the texts of a test go out when the test sends them.
 */
export function twilioEnv(fake: Pick<FakeTwilio, 'accountSid' | 'authToken' | 'url'>): Record<string, string> {
  return {
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: fake.accountSid,
    TWILIO_AUTH_TOKEN: fake.authToken,
    TWILIO_API_URL: fake.url,
    SMS_WINDOW_START: '00:00',
    SMS_WINDOW_END: '24:00',
  };
}

export async function startFakeTwilio(options: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? DEFAULT_ACCOUNT_SID;
  const authToken = options.authToken ?? DEFAULT_AUTH_TOKEN;
  const [sentDelay, finalDelay] = options.callbackDelaysMs ?? [5, 10];
  const callbackAttempts = Math.max(1, options.callbackAttempts ?? 3);
  const now = options.now ?? Date.now;
  const expectedAuth = 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64');
  const basePath = `/${API}/Accounts/${accountSid}`;

  const messages: FakeMessage[] = [];
  const byTo = new Map<string, FakeMessage[]>();
  const bySid = new Map<string, FakeMessage>();
  const callbacks: CallbackRecord[] = [];
  const callbackFailures: CallbackFailure[] = [];
  const faultsByTo = new Map<string, ActiveFault>();
  const nextFaults: ActiveFault[] = [];
  const finalStatuses = new Map<string, { status: Exclude<FakeMessageStatus, 'queued'>; errorCode: number | null }>();
  const timers = new Set<NodeJS.Timeout>();
  const hanging = new Set<http.ServerResponse>();
  let lateAccepts: Array<() => FakeMessage> = [];
  let pending = 0;
  let idleWaiters: (() => void)[] = [];
  let generation = 0; // bumped by reset(): status progressions of older messages stop
  let hold: { released: Promise<void>; release: () => void } | null = null;
  let held = 0;
  let createRequests = 0;
  const fetches: Array<{ sid: string; at: number }> = [];
  let closed = false;

  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 50 });

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  function settleOne() {
    if (closed) return;
    pending--;
    if (pending === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function postForm(url: string, params: Record<string, string>, signature: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const isHttps = u.protocol === 'https:';
      const body = new URLSearchParams(params).toString();
      const req = (isHttps ? https : http).request(
        u,
        {
          method: 'POST',
          agent: isHttps ? httpsAgent : httpAgent,
          timeout: 2000,
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': Buffer.byteLength(body),
            'User-Agent': 'TwilioProxy/1.1',
            'X-Twilio-Signature': signature,
            'I-Twilio-Idempotency-Token': randomUUID(),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve();
            else reject(new Error(`HTTP ${code}`));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('callback timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }

  async function deliverCallback(m: FakeMessage): Promise<void> {
    if (!m.statusCallback) return;
    const url = m.statusCallback;
    const params: Record<string, string> = {
      SmsSid: m.sid,
      SmsStatus: m.status,
      MessageStatus: m.status,
      To: m.to,
      MessageSid: m.sid,
      AccountSid: m.accountSid,
      From: m.from,
      ApiVersion: API,
    };
    if (m.errorCode !== null) params.ErrorCode = String(m.errorCode);
    const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
    while (hold && !closed) {
      held++;
      await hold.released;
      held--;
    }
    let lastError = '';
    for (let attempt = 1; attempt <= callbackAttempts; attempt++) {
      if (closed) return;
      try {
        await postForm(url, params, signature);
        callbacks.push({ url, params, signature });
        return;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        if (attempt < callbackAttempts) await sleep(10 * attempt);
      }
    }
    callbackFailures.push({ url, params, signature, attempts: callbackAttempts, error: lastError });
  }

  async function progress(m: FakeMessage, gen: number): Promise<void> {
    pending++;
    try {
      const final = finalStatuses.get(m.to) ?? { status: 'delivered' as const, errorCode: null };
      const steps: { status: FakeMessageStatus; errorCode: number | null; at: number }[] =
        final.status === 'failed' || final.status === 'sent'
          ? [{ status: final.status, errorCode: final.errorCode, at: final.status === 'sent' ? sentDelay : finalDelay }]
          : [
              { status: 'sent', errorCode: null, at: sentDelay },
              { status: final.status, errorCode: final.errorCode, at: finalDelay },
            ];
      let elapsed = 0;
      for (const step of steps) {
        if (step.at > elapsed) await sleep(step.at - elapsed);
        elapsed = Math.max(elapsed, step.at);
        if (closed || gen !== generation) return;
        m.status = step.status;
        m.errorCode = step.errorCode;
        m.dateUpdated = new Date(now());
        await deliverCallback(m);
      }
    } finally {
      settleOne();
    }
  }

  function takeFault(to: string): string | null {
    const byDest = faultsByTo.get(to);
    if (byDest) {
      byDest.remaining--;
      if (byDest.remaining <= 0) faultsByTo.delete(to);
      return byDest.fault;
    }
    const next = nextFaults[0];
    if (next) {
      next.remaining--;
      if (next.remaining <= 0) nextFaults.shift();
      return next.fault;
    }
    return null;
  }

  function toJson(m: FakeMessage) {
    const uri = `${basePath}/Messages/${m.sid}.json`;
    return {
      account_sid: m.accountSid,
      api_version: API,
      body: m.body,
      date_created: rfc2822(m.dateCreated),
      date_sent: rfc2822(m.dateSent),
      date_updated: rfc2822(m.dateUpdated),
      direction: 'outbound-api',
      error_code: m.errorCode,
      error_message: null,
      from: m.from,
      messaging_service_sid: m.params.MessagingServiceSid ?? null,
      num_media: '0',
      num_segments: String(m.numSegments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: `${basePath}/Messages/${m.sid}/Media.json` },
      to: m.to,
      uri,
    };
  }

  function send(res: http.ServerResponse, status: number, body: string) {
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Twilio-Request-Id': 'RQ' + randomUUID().replace(/-/g, ''),
    });
    res.end(body);
  }

  function create(req: http.IncomingMessage, res: http.ServerResponse, form: URLSearchParams) {
    const params: Record<string, string> = {};
    for (const [k, v] of form) params[k] = v;
    const to = params.To ?? '';
    const from = params.From ?? '';
    const body = params.Body ?? '';
    if (!to) return send(res, 400, errorBody(400, 21604, "A 'To' phone number is required."));
    if (!from && !params.MessagingServiceSid) {
      return send(res, 400, errorBody(400, 21603, "A 'From' phone number is required."));
    }
    if (!body && !params.MediaUrl && !params.ContentSid) {
      return send(res, 400, errorBody(400, 21602, 'Message body is required.'));
    }

    const fault = takeFault(to);
    if (fault === '429') return send(res, 429, errorBody(429, 20429, 'Too Many Requests'));
    if (fault === '500') return send(res, 500, errorBody(500, 20500, 'Internal Server Error'));
    if (fault === 'timeout') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault !== null && fault in PERMANENT_MESSAGES) {
      const code = Number(fault) as PermanentFaultCode;
      return send(res, 400, errorBody(400, code, PERMANENT_MESSAGES[code](to, from)));
    }

    if (fault === 'accept-later') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      lateAccepts.push(() => accept(params, to, from, body));
      return;
    }
    const m = accept(params, to, from, body);
    if (fault === 'drop-after-accept') {
      req.socket.destroy();
      return;
    }
    if (fault === 'timeout-after-accept') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    send(res, 201, JSON.stringify(toJson(m)));
  }

  /** Records an accepted message and starts its status progression. */
  function accept(params: Record<string, string>, to: string, from: string, body: string): FakeMessage {
    const at = new Date(now());
    const m: FakeMessage = {
      sid: 'SM' + randomUUID().replace(/-/g, ''),
      accountSid,
      to,
      from,
      body,
      status: 'queued',
      errorCode: null,
      statusCallback: params.StatusCallback || null,
      numSegments: segments(body),
      dateCreated: at,
      dateUpdated: at,
      dateSent: at,
      params,
    };
    messages.push(m);
    bySid.set(m.sid, m);
    const list = byTo.get(to);
    if (list) list.push(m);
    else byTo.set(to, [m]);
    void progress(m, generation);
    return m;
  }

  function list(res: http.ServerResponse, url: URL) {
    const q = url.searchParams;
    const to = q.get('To');
    const from = q.get('From');
    const pageSize = Math.min(1000, Math.max(1, Number(q.get('PageSize') ?? 50) || 50));
    const page = Math.max(0, Number(q.get('Page') ?? 0) || 0);
    const on = q.get('DateSent');
    const after = q.get('DateSent>') ?? q.get('DateSent>=');
    const before = q.get('DateSent<') ?? q.get('DateSent<=');
    const fOn = on === null ? null : parseDateFilter(on);
    const fAfter = after === null ? null : parseDateFilter(after);
    const fBefore = before === null ? null : parseDateFilter(before);
    for (const [name, raw, parsed] of [
      ['DateSent', on, fOn],
      ['DateSent>', after, fAfter],
      ['DateSent<', before, fBefore],
    ] as const) {
      if (raw !== null && parsed === null) {
        return send(res, 400, errorBody(400, 20001, `Invalid ${name} value: ${raw}`));
      }
    }

    const source = to === null ? messages : (byTo.get(to) ?? []);
    const start = page * pageSize;
    const selected: FakeMessage[] = [];
    let matched = 0;
    let more = false;
    // newest first: walk the creation-ordered array backwards
    for (let i = source.length - 1; i >= 0; i--) {
      const m = source[i]!;
      if (from !== null && m.from !== from) continue;
      const sentMs = m.dateSent.getTime();
      if (fOn) {
        if ('day' in fOn ? utcDay(sentMs) !== fOn.day : utcDay(sentMs) !== utcDay(fOn.ms)) continue;
      }
      if (fAfter) {
        if ('day' in fAfter ? utcDay(sentMs) < fAfter.day : sentMs < fAfter.ms) continue;
      }
      if (fBefore) {
        if ('day' in fBefore ? utcDay(sentMs) > fBefore.day : sentMs > fBefore.ms) continue;
      }
      if (matched >= start + pageSize) {
        more = true;
        break;
      }
      if (matched >= start) selected.push(m);
      matched++;
    }

    const pageUri = (p: number) => {
      const u = new URLSearchParams(q);
      u.set('PageSize', String(pageSize));
      u.set('Page', String(p));
      return `${basePath}/Messages.json?${u.toString()}`;
    };
    const body = {
      messages: selected.map(toJson),
      page,
      page_size: pageSize,
      start,
      end: start + Math.max(0, selected.length - 1),
      uri: pageUri(page),
      first_page_uri: pageUri(0),
      next_page_uri: more ? pageUri(page + 1) : null,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
    };
    send(res, 200, JSON.stringify(body));
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake-twilio.local');
      const isCreate = req.method === 'POST' && /^\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/.test(url.pathname);
      if (isCreate) createRequests++;

      const m = /^\/2010-04-01\/Accounts\/([^/]+)\//.exec(url.pathname);
      if (!m) {
        return send(res, 404, errorBody(404, 20404, `The requested resource ${url.pathname} was not found`));
      }
      if (req.headers.authorization !== expectedAuth || m[1] !== accountSid) {
        return send(res, 401, JSON.stringify({
          code: 20003,
          detail: 'Your AccountSid or AuthToken was incorrect.',
          message: 'Authenticate',
          more_info: 'https://www.twilio.com/docs/errors/20003',
          status: 401,
        }));
      }
      const path = url.pathname.slice(basePath.length);
      if (path === '/Messages.json' && req.method === 'POST') {
        return create(req, res, new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      }
      if (path === '/Messages.json' && req.method === 'GET') return list(res, url);
      const one = /^\/Messages\/(SM[0-9a-f]{32})\.json$/.exec(path);
      if (one && req.method === 'GET') {
        fetches.push({ sid: one[1]!, at: now() });
        const found = bySid.get(one[1]!);
        if (found) return send(res, 200, JSON.stringify(toJson(found)));
      }
      send(res, 404, errorBody(404, 20404, `The requested resource ${url.pathname} was not found`));
    });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  function normalize(fault: FakeTwilioFault): string {
    return String(fault);
  }

  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    messages,
    callbacks,
    callbackFailures,
    get createRequests() {
      return createRequests;
    },
    fetches,
    countsByTo() {
      const counts = new Map<string, number>();
      for (const [to, list] of byTo) counts.set(to, list.length);
      return counts;
    },
    failNext(n, fault) {
      if (n > 0) nextFaults.push({ fault: normalize(fault), remaining: n });
    },
    acceptLate() {
      const pendingAccepts = lateAccepts;
      lateAccepts = [];
      return pendingAccepts.map((f) => f());
    },
    failFor(to, fault, times = Infinity) {
      if (times > 0) faultsByTo.set(to, { fault: normalize(fault), remaining: times });
    },
    finalStatusFor(to, status, errorCode) {
      finalStatuses.set(to, { status, errorCode: errorCode ?? null });
    },
    idle() {
      return pending === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    holdCallbacks() {
      if (hold) return;
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      hold = { released, release };
    },
    resumeCallbacks() {
      const h = hold;
      hold = null;
      h?.release();
    },
    get heldCallbacks() {
      return held;
    },
    reset() {
      generation++;
      messages.length = 0;
      byTo.clear();
      bySid.clear();
      callbacks.length = 0;
      callbackFailures.length = 0;
      faultsByTo.clear();
      nextFaults.length = 0;
      finalStatuses.clear();
      createRequests = 0;
      fetches.length = 0;
      lateAccepts = [];
      for (const res of hanging) res.socket?.destroy();
      hanging.clear();
    },
    async close() {
      closed = true;
      hold?.release();
      hold = null;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // waiters of idle() must not hang on progressions that will never finish
      pending = 0;
      for (const w of idleWaiters) w();
      idleWaiters = [];
      for (const res of hanging) res.socket?.destroy();
      hanging.clear();
      httpAgent.destroy();
      httpsAgent.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
