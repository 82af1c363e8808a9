import type { CallbackTag } from '../../src/sms/callback-tag.js';

/**
 * What the worker needs from an SMS provider. Implementations: twilio.ts (the twilio SDK) and
 * log.ts (development: writes the text to the log and reports it delivered).
 */
export interface OutgoingSms {
  to: string; // E.164
  from: string; // E.164
  body: string;
  /** absolute URL the provider POSTs delivery statuses to; undefined: no callbacks */
  statusCallback?: string;
  /** whom and which attempt the text is for: a provider that reports in-process (log) hands it back */
  tag?: CallbackTag;
}

export interface ProviderMessage {
  sid: string;
  /** provider status: queued, sending, sent, delivered, undelivered, failed, … */
  status: string;
  errorCode?: number | null;
}

/** How a failed send must be treated. */
export type SendErrorKind =
  /** nothing was sent and trying again may work (429, 5xx answered, carrier congestion) */
  | 'retry'
  /** the request may or may not have reached the provider (timeout, dropped connection): look before resending */
  | 'unknown'
  /** will never work for this recipient (invalid or non-mobile number…) */
  | 'permanent'
  /** the recipient has unsubscribed at the carrier/provider (Twilio 21610): record the opt-out */
  | 'unsubscribed';

export class SendError extends Error {
  constructor(
    readonly kind: SendErrorKind,
    message: string,
    readonly code: number | null = null,
    readonly httpStatus: number | null = null,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

export interface SmsProvider {
  readonly name: string;
  /** Sends one text. Throws SendError (classified) on failure. */
  send(sms: OutgoingSms): Promise<ProviderMessage>;
  /**
   * Looks for a text already accepted by the provider: same to/from/body, created at or after
   * `since`. Used before resending when an earlier attempt's outcome is unknown.
   */
  findSent(q: { to: string; from: string; body: string; since: Date }): Promise<ProviderMessage | null>;
  /**
   * The provider's current word on a text it accepted (by its id), or null when it knows no such
   * text. Used by the reconciler (worker/reconciler.ts) for texts whose status callbacks never came.
   * Throws SendError (classified) when the provider cannot be asked.
   */
  fetchStatus(sid: string): Promise<ProviderMessage | null>;
}
