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

/** A number consent can be kept for (sms_consents holds E.164 numbers only, as members do). */
export const E164 = /^\+[1-9][0-9]{6,14}$/;
