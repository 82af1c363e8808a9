import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signed token of an email's one-click unsubscribe link (RFC 8058): whom it was sent to (the
 * church, the person and the address), signed with EMAIL_UNSUBSCRIBE_SECRET so nobody can make one
 * for anyone else. It carries no expiry: an unsubscribe link must keep working for as long as the
 * email is kept (a year-old newsletter included). Made by the worker, read by the API
 * (src/http/email.ts), both with the same secret.
 *
 * Form: base64url("v1.<church>.<member>.<address>") "." base64url(HMAC-SHA256 of that, first 16 bytes).
 */
export interface UnsubscribeTarget {
  churchId: number;
  memberId: number;
  /** lower-cased */
  email: string;
}

const VERSION = 'v1';
const SIG_BYTES = 16;

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload, 'utf8').digest().subarray(0, SIG_BYTES);
}

export function unsubscribeToken(secret: string, t: UnsubscribeTarget): string {
  const payload = `${VERSION}.${t.churchId}.${t.memberId}.${t.email.toLowerCase()}`;
  return `${Buffer.from(payload, 'utf8').toString('base64url')}.${mac(secret, payload).toString('base64url')}`;
}

/** The target of a token this secret signed; null for anything else (forged, altered, malformed). */
export function readUnsubscribeToken(secret: string, token: unknown): UnsubscribeTarget | null {
  if (typeof token !== 'string' || token.length > 600) return null;
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!m) return null;
  const payload = Buffer.from(m[1]!, 'base64url').toString('utf8');
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const parts = /^v1\.(\d{1,10})\.(\d{1,10})\.(.+@.+)$/.exec(payload);
  if (!parts) return null;
  return { churchId: Number(parts[1]), memberId: Number(parts[2]), email: parts[3]! };
}

/** The link in the List-Unsubscribe header and in the body: PUBLIC_URL/email/unsubscribe?t=… */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/email/unsubscribe?t=${encodeURIComponent(token)}`;
}
