/** Carrier-standard keywords (CTIA; Twilio's defaults), matched on the whole trimmed body. */
export const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
export const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);
export const HELP = new Set(['HELP', 'INFO']);

export type Keyword = 'opt-out' | 'opt-in' | 'help' | null;

export function keywordOf(body: string): { kind: Keyword; word: string } {
  const word = body.trim().replace(/[.!\s]+$/, '').toUpperCase();
  if (OPT_OUT.has(word)) return { kind: 'opt-out', word };
  if (OPT_IN.has(word)) return { kind: 'opt-in', word };
  if (HELP.has(word)) return { kind: 'help', word };
  return { kind: null, word };
}

/** Carrier errors reported in status callbacks that are worth another attempt. */
export const RETRYABLE_CARRIER_CODES = new Set(['30001', '30003', '30008']);
/** Rounds of sending a recipient may get (the first attempt included). */
export const MAX_SEND_ROUNDS = 3;
