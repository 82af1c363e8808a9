import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../lib/logger.js';
import { parseCallbackTag, type CallbackTag } from '../sms/callback-tag.js';

/**
 * The parameters of Twilio's webhook requests, read defensively: a request is signed by whoever
 * holds the auth token, but what it carries is still input. Anything missing or malformed is a
 * 400 with a one-line reason, logged without a stack (it is the caller's mistake, not ours).
 */
export type Form = Record<string, string | string[]>;

export class BadWebhookInput extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field} ${reason}`);
    this.name = 'BadWebhookInput';
  }
}

/** The urlencoded form of a request: {} when it had none (empty body, another content type). */
export function formOf(body: unknown): Form {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const out: Form = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) out[k] = v as string | string[];
  }
  return out;
}

// no control characters: nothing Twilio sends in these fields has them
const PRINTABLE = /^[^\p{Cc}]*$/u;

function one(form: Form, name: string, opts: { required: boolean; pattern?: RegExp; max: number; multiline?: boolean }): string | undefined {
  const v = form[name];
  if (v === undefined || v === '') {
    if (opts.required) throw new BadWebhookInput(name, 'is missing');
    return undefined;
  }
  if (typeof v !== 'string') throw new BadWebhookInput(name, 'is given more than once');
  if (v.length > opts.max) throw new BadWebhookInput(name, `is longer than ${opts.max} characters`);
  if (!opts.multiline && !PRINTABLE.test(v)) throw new BadWebhookInput(name, 'has control characters');
  if (opts.pattern && !opts.pattern.test(v)) throw new BadWebhookInput(name, 'is malformed');
  return v;
}

export interface StatusInput {
  sid: string;
  /** Twilio's status word, lower case */
  status: string;
  errorCode: string | null;
  tag: CallbackTag | undefined;
}

/** POST /webhooks/twilio/status: MessageSid, MessageStatus, ErrorCode?; ?rid&n&e from our own URL. */
export function statusInput(form: Form, query: Record<string, unknown>): StatusInput {
  const sid = one(form, 'MessageSid', { required: true, pattern: /^[A-Za-z]{2}[A-Za-z0-9]{1,62}$/, max: 64 })!;
  const status = one(form, 'MessageStatus', { required: true, pattern: /^[A-Za-z_-]+$/, max: 32 })!.toLowerCase();
  const errorCode = one(form, 'ErrorCode', { required: false, pattern: /^\d+$/, max: 10 }) ?? null;
  const tag = parseCallbackTag(query);
  if (tag === 'invalid') throw new BadWebhookInput('rid', 'and n (the status callback URL) are malformed');
  return { sid, status, errorCode, tag };
}

export interface InboundInput {
  to: string;
  from: string;
  body: string;
  /** Twilio's MessageSid: the inbox records a text once per id */
  sid?: string;
}

/** POST /webhooks/twilio/inbound: To and From (numbers, short codes), Body (may be empty: MMS). */
export function inboundInput(form: Form): InboundInput {
  const number = /^\+?[A-Za-z0-9]+$/;
  return {
    to: one(form, 'To', { required: true, pattern: number, max: 32 })!,
    from: one(form, 'From', { required: true, pattern: number, max: 32 })!,
    body: one(form, 'Body', { required: false, max: 10_000, multiline: true }) ?? '',
    sid: one(form, 'MessageSid', { required: false, pattern: /^[A-Za-z]{2}[A-Za-z0-9]{1,62}$/, max: 64 }),
  };
}

/**
 * The router's error handler: bad parameters and bodies the parser refused (malformed, too large,
 * unsupported charset) answer 4xx in plain text, logged as what they are; anything else goes on to
 * the application's handler (a real server error).
 */
export function webhookInputErrors(log: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (err instanceof BadWebhookInput) {
      log.warn({ path: req.path, field: err.field, reason: err.message }, 'twilio webhook with bad parameters refused');
      res.status(400).type('text/plain').send(`bad request: ${err.message}`);
      return;
    }
    const e = (err ?? {}) as { type?: unknown; status?: unknown; message?: unknown };
    // body-parser's own errors: type 'entity.too.large', 'entity.parse.failed', 'charset.unsupported', …
    if (typeof e.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      log.warn({ path: req.path, type: e.type, status: e.status }, 'twilio webhook body refused');
      res.status(e.status).type('text/plain').send(`bad request: ${String(e.message ?? e.type)}`);
      return;
    }
    next(err);
  };
}
