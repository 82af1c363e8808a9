import { describe, expect, it } from 'vitest';
import { isInsideWindow, nextSendTime, parseWindow } from '../src/modules/message/quiet-hours.js';
import { segmentsOf } from '../src/modules/message/segments.js';
import { keywordOf } from '../src/delivery/keywords.js';

describe('SMS segments and encoding', () => {
  it('GSM-7: 160 characters in one segment, then parts of 153', () => {
    expect(segmentsOf('a'.repeat(160))).toMatchObject({ encoding: 'gsm7', units: 160, segments: 1, remainingInSegment: 0 });
    expect(segmentsOf('a'.repeat(161))).toMatchObject({ encoding: 'gsm7', segments: 2 });
    expect(segmentsOf('a'.repeat(306)).segments).toBe(2);
    expect(segmentsOf('a'.repeat(307)).segments).toBe(3);
    expect(segmentsOf('Hello @ £ $ ¥ è é ù Ä Ö ñ ü à ¿ § Δ Φ')).toMatchObject({ encoding: 'gsm7', segments: 1 });
  });

  it('extension characters count two septets and are never split across parts', () => {
    expect(segmentsOf('€'.repeat(80))).toMatchObject({ encoding: 'gsm7', units: 160, segments: 1 });
    expect(segmentsOf('€'.repeat(81))).toMatchObject({ units: 162, segments: 2 });
    expect(segmentsOf('^{}\\[~]|').units).toBe(16);
    // 152 plain septets, then an escape pair that does not fit in the first part's last septet
    const s = `${'a'.repeat(152)}€${'b'.repeat(10)}`;
    expect(segmentsOf(s)).toMatchObject({ units: 164, segments: 2, remainingInSegment: 153 - 12 });
  });

  it('UCS-2 when any character needs it: 70, then parts of 67, surrogate pairs kept whole', () => {
    expect(segmentsOf('ą'.repeat(70))).toMatchObject({ encoding: 'ucs2', units: 70, segments: 1 });
    expect(segmentsOf('ą'.repeat(71))).toMatchObject({ encoding: 'ucs2', segments: 2 });
    expect(segmentsOf(`${'a'.repeat(159)}ą`)).toMatchObject({ encoding: 'ucs2', units: 160, segments: 3 });
    expect(segmentsOf('😀'.repeat(35))).toMatchObject({ units: 70, segments: 1, characters: 35 });
    // 66 units + an emoji (2 units) does not fit in 67: the pair moves to the next part
    expect(segmentsOf(`${'ą'.repeat(66)}😀${'ą'.repeat(10)}`)).toMatchObject({ units: 78, segments: 2, remainingInSegment: 67 - 12 });
    expect(segmentsOf('Grüße aus Köln: ç').encoding).toBe('ucs2'); // ç is not in GSM 03.38 (Ç is)
  });

  it('an empty body has no segments', () => {
    expect(segmentsOf('')).toMatchObject({ segments: 0, units: 0 });
  });
});

describe('quiet hours', () => {
  const w = parseWindow('09:00', '20:00');
  it('keeps a time inside the window, moves one before it to 09:00 and one after it to 09:00 the next day', () => {
    // America/Chicago is UTC-6 in January
    expect(nextSendTime(new Date('2027-01-15T16:00:00Z'), 'America/Chicago', w).toISOString()).toBe('2027-01-15T16:00:00.000Z');
    expect(nextSendTime(new Date('2027-01-15T12:00:00Z'), 'America/Chicago', w).toISOString()).toBe('2027-01-15T15:00:00.000Z');
    expect(nextSendTime(new Date('2027-01-16T03:00:00Z'), 'America/Chicago', w).toISOString()).toBe('2027-01-16T15:00:00.000Z');
    // Asia/Manila is UTC+8: 21:00 local on Dec 31 → 09:00 local on Jan 1 of the next year
    expect(nextSendTime(new Date('2026-12-31T13:00:00Z'), 'Asia/Manila', w).toISOString()).toBe('2027-01-01T01:00:00.000Z');
  });

  it('follows daylight saving time', () => {
    // New York moves to UTC-4 on 2027-03-14: 09:00 local is 13:00Z that day, 14:00Z the day before
    expect(nextSendTime(new Date('2027-03-13T02:00:00Z'), 'America/New_York', w).toISOString()).toBe('2027-03-13T14:00:00.000Z');
    expect(nextSendTime(new Date('2027-03-14T03:00:00Z'), 'America/New_York', w).toISOString()).toBe('2027-03-14T13:00:00.000Z');
  });

  it('the window end is exclusive and must follow the start', () => {
    expect(isInsideWindow(new Date('2027-01-15T02:00:00Z'), 'America/Chicago', w)).toBe(false); // 20:00 local
    expect(isInsideWindow(new Date('2027-01-15T01:59:00Z'), 'America/Chicago', w)).toBe(true); // 19:59 local
    expect(() => parseWindow('20:00', '09:00')).toThrow(/start before/);
    expect(() => parseWindow('9am', '20:00')).toThrow(/HH:MM/);
  });
});

describe('keywords', () => {
  it('recognises the carrier keywords on the whole trimmed body, any case', () => {
    for (const w of ['STOP', 'stop', ' Stop ', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'stop.']) {
      expect(keywordOf(w).kind, w).toBe('opt-out');
    }
    for (const w of ['START', 'yes', 'UNSTOP']) expect(keywordOf(w).kind, w).toBe('opt-in');
    for (const w of ['HELP', 'info']) expect(keywordOf(w).kind, w).toBe('help');
    for (const w of ['please stop texting me', 'STOP IT', 'stopp', '']) expect(keywordOf(w).kind, w).toBeNull();
  });
});
