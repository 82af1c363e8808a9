import { sql, type SQL } from 'drizzle-orm';

/**
 * Which recipient statuses are final: the one rule the API (message status, counts, analytics,
 * failedSends), the webhooks and the worker (sending, reconciling) share. SENT is not final: the
 * provider accepted the text but has not said what became of it, so the worker's reconciler asks
 * until it knows, and after a horizon gives up with UNCONFIRMED (final: nothing changes it again).
 */
export const RECIPIENT_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'skipped',
  'cancelled',
  'unconfirmed',
] as const;
export type RecipientStatusName = (typeof RECIPIENT_STATUSES)[number];

/** can still change: waiting to be sent, being sent, or sent and waiting for the provider's word */
export const OPEN_STATUSES = ['queued', 'sending', 'sent'] as const satisfies readonly RecipientStatusName[];
/** nothing will change them again */
export const FINAL_STATUSES = ['delivered', 'undelivered', 'failed', 'skipped', 'cancelled', 'unconfirmed'] as const satisfies readonly RecipientStatusName[];
/** final and known not to have reached the person (failedSends, analytics' failed) */
export const FAILED_STATUSES = ['failed', 'undelivered'] as const satisfies readonly RecipientStatusName[];
/**
 * Never handed to the provider. Every other status with a provider_sid is a text the provider
 * accepted (analytics' textsSent). Written as the complement so that adding a final status to the
 * enum cannot leave it uncounted, and so that the index on it (message_recipients_sent_idx) does
 * not name an enum value added in the same migration (PostgreSQL refuses that in one transaction).
 */
export const NEVER_HANDED_OVER_STATUSES = ['queued', 'sending', 'skipped', 'cancelled'] as const satisfies readonly RecipientStatusName[];

const FINAL = new Set<string>(FINAL_STATUSES);

export function isFinalStatus(status: string): boolean {
  return FINAL.has(status);
}

/** A message is done when no recipient can still change. */
export function isDone(counts: Partial<Record<RecipientStatusName, number>>): boolean {
  return OPEN_STATUSES.every((s) => !counts[s]);
}

/**
 * `('a', 'b')` for SQL. Raw (the values are the constants above, never input), so an index
 * predicate written with it (src/db/schema) and a query written with it are the same text and
 * PostgreSQL can match the one to the other.
 */
export function statusList(statuses: readonly RecipientStatusName[]): SQL {
  return sql.raw(`(${statuses.map((s) => `'${s}'`).join(', ')})`);
}

/**
 * Order of a recipient's life for "only forward" updates: queued < sending < sent < any final.
 * A report never moves a recipient backwards, and never out of a final status.
 */
export function rankSql(expr: string): SQL {
  return sql.raw(`(CASE ${expr} WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END)`);
}

export type ProviderOutcome = 'delivered' | 'undelivered' | 'failed';

/**
 * The provider's status words that say something new about a recipient, and what they mean here
 * (Twilio's words). The rest (queued, accepted, sending, scheduled…) say nothing beyond "sending".
 */
const PROVIDER_WORDS: Record<string, ProviderOutcome | 'sent' | undefined> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

/** What a provider's word means for the recipient: SENT, a final outcome, or null (nothing new). */
export function providerStatus(word: string): ProviderOutcome | 'sent' | null {
  return PROVIDER_WORDS[word.toLowerCase()] ?? null;
}

/** The final status a provider's word means, or null while the provider has no outcome yet. */
export function providerOutcome(word: string): ProviderOutcome | null {
  const s = providerStatus(word);
  return s === 'sent' ? null : s;
}

/**
 * Carrier error codes (Twilio's) that are worth another try: reported for a text that was not
 * delivered (status callbacks, the reconciler) or answered to a send (worker/sms/twilio.ts).
 */
export const RETRYABLE_CARRIER_CODES: readonly number[] = [
  30001, // Queue overflow
  30003, // Unreachable destination handset (off, out of coverage)
  30008, // Unknown error (carrier)
];
/** Rounds of sending a recipient may get (the first attempt included). */
export const MAX_SEND_ROUNDS = 3;

/**
 * A text that was not delivered gets another round (a new send, src/modules/message/recipient.queries.ts
 * requeueForRetry) when the carrier's error is a hiccup and rounds are left: the one rule for the
 * webhook and the reconciler. Returns the delay before that round (2 s, 4 s, …), or null for none.
 */
export function anotherRoundInMs(outcome: ProviderOutcome | 'sent', errorCode: string | null, attempts: number): number | null {
  if (outcome !== 'undelivered' && outcome !== 'failed') return null;
  if (errorCode === null || !RETRYABLE_CARRIER_CODES.some((c) => String(c) === errorCode) || attempts >= MAX_SEND_ROUNDS) return null;
  return 2000 * 2 ** Math.max(0, attempts - 1);
}
