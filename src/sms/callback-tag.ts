/**
 * What a status report carries about the text it is for, besides the provider's id: the recipient,
 * the attempt that sent it, and the sending episode that attempt belonged to. A report can arrive
 * before the worker has recorded the provider's id (the provider answers the send, then calls back;
 * the worker's write of the id can lose that race), and then only this tag can find the row.
 *
 * The episode is the recipient's sending_at (µs since the epoch) when the attempt was made. It is
 * set when a recipient leaves 'queued' and kept by the attempts that follow an outcome nobody knows
 * (each of those may have produced the text). A new round (a carrier retry) or a send that surely
 * did not happen starts a new one, so a late report of an older round never lands on a newer one.
 *
 * Twilio gets the tag in its StatusCallback URL (?rid=&n=&e=&m=); the log provider hands it back
 * directly. The message (m) names the month of message_recipients the row is in
 * (src/db/partitions.ts), so a report reads that month only.
 */
export interface CallbackTag {
  recipientId: number;
  /** the recipient's message; undefined in URLs made before it was added */
  messageId?: number;
  /** the recipient's attempts count when the text was sent */
  attempt: number;
  /** sending_at in µs, as text (a bigint); null for URLs made before episodes existed */
  episode: string | null;
}

const DIGITS = /^\d{1,18}$/;

export function callbackUrl(base: string, tag: CallbackTag): string {
  const q = new URLSearchParams({ rid: String(tag.recipientId), n: String(tag.attempt) });
  if (tag.episode !== null) q.set('e', tag.episode);
  if (tag.messageId !== undefined) q.set('m', String(tag.messageId));
  return `${base}?${q.toString()}`;
}

/**
 * The tag in a callback URL's query: undefined when there is none (a text sent without one),
 * 'invalid' when it is malformed (a URL this application did not make).
 */
export function parseCallbackTag(query: Record<string, unknown>): CallbackTag | undefined | 'invalid' {
  const { rid, n, e, m } = query;
  if (rid === undefined && n === undefined && e === undefined && m === undefined) return undefined;
  const ok = (v: unknown): v is string => typeof v === 'string' && DIGITS.test(v);
  if (!ok(rid) || !ok(n) || (e !== undefined && !ok(e)) || (m !== undefined && !ok(m))) return 'invalid';
  const recipientId = Number(rid);
  const attempt = Number(n);
  const messageId = m === undefined ? undefined : Number(m);
  const isId = (x: number) => Number.isSafeInteger(x) && x >= 1 && x <= 2_147_483_647;
  if (!isId(recipientId) || (messageId !== undefined && !isId(messageId)) || attempt > 1_000_000) return 'invalid';
  const tag: CallbackTag = { recipientId, attempt, episode: e === undefined ? null : String(BigInt(e)) };
  if (messageId !== undefined) tag.messageId = messageId;
  return tag;
}
