/**
 * How an SMS body is split and billed (3GPP TS 23.038):
 * - GSM-7 when every character is in the GSM 03.38 basic set or its extension table; extension
 *   characters (^ { } \ [ ~ ] | € and form feed) take two septets (escape + char). One segment
 *   holds 160 septets; a long message is split into parts of 153 (7 go to the concatenation
 *   header) and an escape pair is never split across parts.
 * - UCS-2 otherwise: 70 UTF-16 code units in one segment, 67 per part, and a surrogate pair
 *   (an emoji) is never split.
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';
const BASIC = new Set(GSM_BASIC.replace('\u001b', ''));
const EXTENSION = new Set(GSM_EXTENSION);

export type Encoding = 'gsm7' | 'ucs2';

export interface SegmentInfo {
  encoding: Encoding;
  /** septets (GSM-7) or UTF-16 code units (UCS-2) */
  units: number;
  segments: number;
  /** characters a reader sees (code points) */
  characters: number;
  /** units still free in the last segment before another one starts */
  remainingInSegment: number;
}

export const LIMITS = { gsm7: { single: 160, part: 153 }, ucs2: { single: 70, part: 67 } } as const;

export function segmentsOf(body: string): SegmentInfo {
  const chars = [...body];
  const gsm = chars.every((c) => BASIC.has(c) || EXTENSION.has(c));
  const encoding: Encoding = gsm ? 'gsm7' : 'ucs2';
  // the width of each character in units: GSM-7 basic 1, extension 2; UCS-2 1 or 2 (surrogate pair)
  const widths = chars.map((c) => (gsm ? (EXTENSION.has(c) ? 2 : 1) : c.length));
  const units = widths.reduce((a, b) => a + b, 0);
  const { single, part } = LIMITS[encoding];
  if (units === 0) return { encoding, units, segments: 0, characters: 0, remainingInSegment: single };
  if (units <= single) return { encoding, units, segments: 1, characters: chars.length, remainingInSegment: single - units };
  // greedy split that never breaks a two-unit character
  let segments = 1;
  let used = 0;
  for (const w of widths) {
    if (used + w > part) {
      segments++;
      used = 0;
    }
    used += w;
  }
  return { encoding, units, segments, characters: chars.length, remainingInSegment: part - used };
}
