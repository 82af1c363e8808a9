/**
 * SmsProvider on the official twilio SDK (messages.create / messages.list).
 *
 * The SDK always builds https://api.twilio.com/… URLs; a RequestClient subclass rewrites them to
 * `apiUrl` (a local fake in tests, a proxy elsewhere). The SDK's own 429 retry is off: the queue retries,
 * with its own backoff, using the classification below.
 */
import http from 'node:http';
import https from 'node:https';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type * as TwilioHttpResponse from 'twilio/lib/http/response.js';
import { RETRYABLE_CARRIER_CODES } from '../../src/delivery/status.js';
import { SendError, type ProviderMessage, type SendErrorKind, type SmsProvider } from './provider.js';

export const TWILIO_API_URL = 'https://api.twilio.com';

/** Twilio error codes: nothing was sent, trying again later may work */
export const TWILIO_RETRY_CODES: readonly number[] = [
  20429, // Too Many Requests
  ...RETRYABLE_CARRIER_CODES, // the carrier's hiccups (src/delivery/status.ts)
];
/** Twilio error code: the recipient replied STOP (or is blocked at Twilio): record the opt-out */
export const TWILIO_UNSUBSCRIBED_CODES: readonly number[] = [21610];
/** Twilio error codes that will never work for this recipient/sender. Any other 4xx is permanent too. */
export const TWILIO_PERMANENT_CODES: readonly number[] = [
  21211, // invalid 'To' number
  21214, // 'To' number cannot be reached
  21408, // region not enabled for SMS
  21606, // 'From' number not SMS-capable for this destination
  21612, // 'To' not reachable from this 'From' via SMS
  21614, // 'To' is not a mobile number
  21659, // 'From' is not a Twilio number / short code of this account
];
/**
 * Network error codes where the request cannot have reached Twilio (refused, DNS): safe to resend.
 * Every other transport failure (reset, hang up, timeout, abort) may have happened after Twilio
 * accepted the message: 'unknown'.
 */
export const NOT_SENT_NETWORK_CODES: readonly string[] = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'];

export interface TwilioProviderOptions {
  accountSid: string;
  authToken: string;
  /** default https://api.twilio.com */
  apiUrl?: string;
  /** per request, default 10000 */
  timeoutMs?: number;
  /** sockets kept per host, default 64 (the worker sends ~50 at a time) */
  maxSockets?: number;
}

function errorCodeOf(err: unknown): { status: number | null; code: number | null; netCode: string | null; message: string } {
  const e = (err ?? {}) as Record<string, unknown>;
  const message = err instanceof Error ? err.message : String(err);
  // RestException: status = HTTP status, code = Twilio error code (number)
  // AxiosError: code = 'ECONNRESET' | 'ECONNABORTED' | …, status = HTTP status when answered
  const status = typeof e.status === 'number' ? e.status : null;
  const code = typeof e.code === 'number' ? e.code : typeof e.code === 'string' && /^\d+$/.test(e.code) ? Number(e.code) : null;
  let netCode = typeof e.code === 'string' && !/^\d+$/.test(e.code) ? e.code : null;
  // the underlying socket error can hide behind a wrapper (axios: cause; AggregateError: errors)
  if (!netCode && e.cause && typeof (e.cause as Record<string, unknown>).code === 'string') {
    netCode = (e.cause as Record<string, unknown>).code as string;
  }
  return { status, code, netCode, message };
}

/** The kind for a Twilio error code alone (also for ErrorCode of a status callback), null if not decisive. */
export function classifyTwilioErrorCode(code: number): SendErrorKind | null {
  if (TWILIO_UNSUBSCRIBED_CODES.includes(code)) return 'unsubscribed';
  if (TWILIO_RETRY_CODES.includes(code)) return 'retry';
  if (TWILIO_PERMANENT_CODES.includes(code)) return 'permanent';
  return null;
}

/** Classifies whatever messages.create / messages.list threw. Already-classified SendErrors pass through. */
export function classifyTwilioError(err: unknown): SendError {
  if (err instanceof SendError) return err;
  const { status, code, netCode, message } = errorCodeOf(err);
  const make = (kind: SendErrorKind) => new SendError(kind, message, code, status);

  if (code !== null) {
    const byCode = classifyTwilioErrorCode(code);
    if (byCode) return make(byCode);
  }
  if (status === 429) return make('retry');
  // answered 5xx: Twilio may or may not have created the message
  if (status !== null && status >= 500) return make('unknown');
  // 401 bad credentials, 404 wrong account, 400 other validation errors: resending the same request fails the same way
  if (status !== null && status >= 400) return make('permanent');

  if (netCode) {
    if (NOT_SENT_NETWORK_CODES.includes(netCode)) return new SendError('retry', `${netCode}: ${message}`, null, null);
    // ECONNRESET (socket hang up), ECONNABORTED / ETIMEDOUT (timeout), ERR_CANCELED (deadline), EPIPE, …
    return new SendError('unknown', `${netCode}: ${message}`, null, null);
  }
  if (/socket hang up|timeout|timed out/i.test(message)) return new SendError('unknown', message, null, null);
  // anything else: we cannot tell whether the request left; look before resending
  return new SendError('unknown', message, code, status);
}

/** A flat form (what the SDK sends to the Messages resource), or null for anything nested. */
function flatForm(data: unknown): URLSearchParams | null {
  const form = new URLSearchParams();
  if (data === undefined || data === null) return form;
  if (typeof data !== 'object') return null;
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (v === undefined) continue;
    const values = (Array.isArray(v) ? v : [v]) as unknown[];
    for (const x of values) {
      if (x === null) form.append(k, '');
      else if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') form.append(k, String(x));
      else return null;
    }
  }
  return form;
}

/**
 * twilio's RequestClient with every https://api.twilio.com URL sent to `apiUrl` instead, and the
 * request made with node:http(s) on a keep-alive agent rather than through axios: the SDK still
 * builds every request (URL, form, headers) and reads every answer, but axios' configuration
 * merging and interceptors were a fifth of the worker's CPU per text during a drain. What this
 * does not handle (a proxy from HTTP_PROXY, redirects, nested forms) goes the SDK's own way.
 */
class RedirectingRequestClient extends twilio.RequestClient {
  private readonly target: string;
  private readonly timeoutMs: number;
  private readonly httpAgent: http.Agent;
  /** the SDK was told of a proxy (HTTP_PROXY): its own path knows how to use it */
  private readonly viaProxy: boolean;

  constructor(apiUrl: string, timeoutMs: number, maxSockets: number) {
    super({ timeout: timeoutMs, keepAlive: true, maxSockets, maxFreeSockets: maxSockets, autoRetry: false });
    this.target = apiUrl.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    // the SDK only configures an https agent; a plain-http apiUrl (local fake) needs its own pool
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.axios.defaults.httpAgent = this.httpAgent;
    // the SDK's https agent is a plain https.Agent unless it made a proxy agent instead
    this.viaProxy = !(this.axios.defaults.httpsAgent instanceof https.Agent);
    // axios' timeout is a socket-inactivity timeout; add a deadline for the whole request
    this.axios.interceptors.request.use((config) => {
      config.signal ??= AbortSignal.timeout(timeoutMs + 50);
      return config;
    });
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<TwilioHttpResponse.default<TData>> {
    if (this.target !== TWILIO_API_URL && opts.uri.startsWith(TWILIO_API_URL)) {
      opts = { ...opts, uri: this.target + opts.uri.slice(TWILIO_API_URL.length) };
    }
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined) };
    const isForm = headers['Content-Type'] === 'application/x-www-form-urlencoded';
    const form = opts.data === undefined ? new URLSearchParams() : isForm ? flatForm(opts.data) : null;
    const query = flatForm(opts.params);
    if (this.viaProxy || opts.allowRedirects || !form || !query) return super.request<TData>(opts);

    if (!headers.Connection && !headers.connection) headers.Connection = 'keep-alive';
    if (opts.username && opts.password) {
      headers.Authorization = 'Basic ' + Buffer.from(`${opts.username}:${opts.password}`).toString('base64');
    } else if (opts.authStrategy) {
      headers.Authorization = await opts.authStrategy.getAuthString();
    }
    const url = new URL(opts.uri);
    for (const [k, v] of query) url.searchParams.append(k, v);
    const body = opts.data === undefined ? undefined : Buffer.from(form.toString());
    if (body) headers['Content-Length'] = String(body.length);
    const timeout = opts.timeout || this.timeoutMs;
    const https_ = url.protocol === 'https:';
    const agent = https_ ? (this.axios.defaults.httpsAgent as https.Agent) : this.httpAgent;

    return new Promise((resolve, reject) => {
      // a deadline for the whole request, as the axios path has (its timeout only watches the socket)
      const deadline = setTimeout(() => req.destroy(timeoutError(timeout + 50)), timeout + 50);
      const req = (https_ ? https : http).request(url, { method: opts.method.toUpperCase(), headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(deadline);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ statusCode: res.statusCode ?? 0, body: text as unknown as TData, headers: res.headers } as TwilioHttpResponse.default<TData>);
        });
      });
      function fail(e: Error) {
        clearTimeout(deadline);
        reject(e);
      }
      req.setTimeout(timeout, () => req.destroy(timeoutError(timeout)));
      req.on('error', fail);
      req.end(body);
    });
  }
}

/** A request that took too long: its outcome is unknown (classifyTwilioError). */
function timeoutError(ms: number): Error {
  return Object.assign(new Error(`timeout of ${ms}ms exceeded`), { code: 'ETIMEDOUT' });
}

/** A twilio client whose requests go to `apiUrl`; exported for tests and scripts. */
export function createTwilioClient(opts: TwilioProviderOptions): twilio.Twilio {
  const httpClient = new RedirectingRequestClient(opts.apiUrl ?? TWILIO_API_URL, opts.timeoutMs ?? 10_000, opts.maxSockets ?? 64);
  return twilio(opts.accountSid, opts.authToken, { httpClient, autoRetry: false });
}

function toProviderMessage(m: { sid: string; status: string; errorCode: number | null }): ProviderMessage {
  return { sid: m.sid, status: m.status, errorCode: m.errorCode ?? null };
}

const CLOCK_SKEW_MS = 2_000;

export function createTwilioProvider(opts: TwilioProviderOptions): SmsProvider {
  const client = createTwilioClient(opts);

  return {
    name: 'twilio',

    async send(sms) {
      try {
        const m = await client.messages.create({
          to: sms.to,
          from: sms.from,
          body: sms.body,
          ...(sms.statusCallback ? { statusCallback: sms.statusCallback } : {}),
        });
        return toProviderMessage(m);
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },

    async fetchStatus(sid) {
      try {
        return toProviderMessage(await client.messages(sid).fetch());
      } catch (err) {
        // 404 (Twilio 20404): no such message on this account
        const e = (err ?? {}) as { status?: unknown; code?: unknown };
        if (e.status === 404 || e.code === 20404) return null;
        throw classifyTwilioError(err);
      }
    },

    async findSent({ to, from, body, since }) {
      const cutoff = since.getTime() - CLOCK_SKEW_MS;
      // Twilio filters DateSent by day: ask for everything to `to` sent on or after since's UTC day
      const day = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
      const match = (list: { from: string; body: string; dateCreated: Date; sid: string; status: string; errorCode: number | null }[]) => {
        // newest first: the first match is the newest
        const m = list.find((x) => x.from === from && x.body === body && x.dateCreated.getTime() >= cutoff);
        return m ? toProviderMessage(m) : null;
      };
      try {
        const found = match(await client.messages.list({ to, dateSentAfter: day, limit: 1000 }));
        if (found) return found;
        // A message Twilio accepted but has not sent yet has no date_sent and may be missing from a
        // DateSent-filtered list: look at the newest few to that number without the filter.
        return match(await client.messages.list({ to, limit: 20 }));
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },
  };
}
