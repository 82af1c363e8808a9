import * as rrulePkg from 'rrule';
import type { Options } from 'rrule';

// rrule's "main" is a UMD bundle: Node's ESM loader puts its exports under `default`, a bundler
// (vitest, tsx in a CommonJS context) may give them directly
type RRuleModule = typeof import('rrule');
const rr: RRuleModule = (rrulePkg as unknown as { RRule?: unknown }).RRule
  ? (rrulePkg as unknown as RRuleModule)
  : (rrulePkg as unknown as { default: RRuleModule }).default;
const { RRule, Frequency } = rr;

/**
 * Occurrences are computed on "floating" wall-clock times (a Date whose UTC fields are the local
 * time), then each is placed in the event's time zone. A weekly 10:00 therefore stays 10:00 local
 * across DST changes: the rule never sees offsets (rrule's own TZID support depends on the host
 * zone and is not used).
 */

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

/** Wall-clock `YYYY-MM-DDTHH:MM` as a floating Date, or undefined when not a real time. */
export function parseLocal(s: string): Date | undefined {
  const m = LOCAL.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const dt = new Date(Date.UTC(y, mo - 1, d, h, mi));
  if (y < 1900 || y > 2200 || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d || h > 23 || mi > 59) return undefined;
  return dt;
}

export function formatLocal(floating: Date): string {
  return floating.toISOString().slice(0, 16);
}

const partsFormat = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = partsFormat.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormat.set(tz, f);
  }
  return f;
}

/** An instant's wall-clock time in a zone, as a floating Date. */
export function toFloating(instant: Date, tz: string): Date {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return new Date(Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!));
}

/**
 * The instant a wall-clock time names in a zone. In a fall-back hour (the time happens twice) the
 * first one; in a spring-forward gap (it never happens) the time the clocks jumped to plus the
 * remainder, as calendars do (02:30 on the change day becomes 03:30).
 */
export function fromFloating(floating: Date, tz: string): Date {
  const wall = floating.getTime();
  // offset = wall - instant; try the offsets in force an hour or so around the guess
  const guess = new Date(wall);
  const offsets = new Set<number>();
  for (const probe of [wall - 3 * 3600_000, wall, wall + 3 * 3600_000]) {
    offsets.add(toFloating(new Date(probe), tz).getTime() - probe);
  }
  const candidates = [...offsets].map((o) => wall - o).filter((t) => toFloating(new Date(t), tz).getTime() === wall);
  if (candidates.length) return new Date(Math.min(...candidates));
  // a gap: shift by the offset before the change
  const before = toFloating(guess, tz).getTime() - guess.getTime();
  return new Date(wall - Math.min(...offsets, before));
}

const ALLOWED_FREQ = new Set([Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY, Frequency.YEARLY]);
export const RRULE_MAX_LENGTH = 500;

const DAY = '(?:[+-]?\\d{1,2})?(?:MO|TU|WE|TH|FR|SA|SU)';
const NUMS = '[+-]?\\d{1,3}(?:,[+-]?\\d{1,3})*';
const RULE_PARTS: Record<string, RegExp> = {
  FREQ: /^(DAILY|WEEKLY|MONTHLY|YEARLY|HOURLY|MINUTELY|SECONDLY)$/,
  INTERVAL: /^\d{1,3}$/,
  COUNT: /^\d{1,5}$/,
  UNTIL: /^\d{8}(T\d{6}Z?)?$/,
  WKST: /^(MO|TU|WE|TH|FR|SA|SU)$/,
  BYDAY: new RegExp(`^${DAY}(?:,${DAY})*$`),
  BYMONTHDAY: new RegExp(`^${NUMS}$`),
  BYMONTH: new RegExp(`^${NUMS}$`),
  BYSETPOS: new RegExp(`^${NUMS}$`),
  BYYEARDAY: new RegExp(`^${NUMS}$`),
  BYWEEKNO: new RegExp(`^${NUMS}$`),
};

/** Checks an RRULE (without DTSTART); returns a problem or undefined. */
export function rruleProblem(rule: string): string | undefined {
  if (rule.length > RRULE_MAX_LENGTH) return `must be at most ${RRULE_MAX_LENGTH} characters`;
  const body = rule.trim().replace(/^RRULE:/i, '');
  if (/DTSTART|TZID|\n/i.test(body)) return 'must be an RRULE without DTSTART or TZID (the event gives the start and time zone)';
  // rrule's parser is lenient (unknown days pass): each part is checked here first
  for (const part of body.split(';')) {
    const [key, value] = part.split('=');
    if (!key || value === undefined || !RULE_PARTS[key.toUpperCase()]?.test(value.toUpperCase())) return `has an invalid part "${part}"`;
  }
  let opts: Partial<Options>;
  try {
    opts = RRule.parseString(body);
  } catch (e) {
    return `is not a valid RRULE (${(e as Error).message})`;
  }
  if (opts.freq === undefined) return 'needs FREQ';
  if (!ALLOWED_FREQ.has(opts.freq)) return 'FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY';
  if (opts.interval !== undefined && (opts.interval < 1 || opts.interval > 366)) return 'INTERVAL must be 1-366';
  if (opts.count !== undefined && opts.count !== null && (opts.count < 1 || opts.count > 10_000)) return 'COUNT must be 1-10000';
  return undefined;
}

export function normalizeRrule(rule: string): string {
  return rule.trim().replace(/^RRULE:/i, '').toUpperCase();
}

export interface Schedule {
  timeZone: string;
  startsLocal: string;
  rrule: string | null;
}

function ruleOf(s: Schedule): InstanceType<typeof RRule> | null {
  if (!s.rrule) return null;
  return new RRule({ ...RRule.parseString(s.rrule), dtstart: parseLocal(s.startsLocal)!, tzid: null });
}

/**
 * The starts (instants) a schedule gives in [from, to), at most `cap` of them (the caller bounds
 * the window too). A one-off event has its one start.
 */
export function startsBetween(s: Schedule, from: Date, to: Date, cap: number): Date[] {
  const first = parseLocal(s.startsLocal)!;
  const rule = ruleOf(s);
  if (!rule) {
    const t = fromFloating(first, s.timeZone);
    return t >= from && t < to ? [t] : [];
  }
  // floating bounds a day wider than the window: offsets are under 15 hours
  const a = new Date(toFloating(from, s.timeZone).getTime() - 86_400_000);
  const b = new Date(toFloating(to, s.timeZone).getTime() + 86_400_000);
  const out: Date[] = [];
  rule.between(a, b, true, (d) => {
    const t = fromFloating(d, s.timeZone);
    if (t >= from && t < to) out.push(t);
    return out.length < cap;
  });
  return out;
}

/** Whether an instant is one of the schedule's starts. */
export function isStart(s: Schedule, instant: Date): boolean {
  return startsBetween(s, instant, new Date(instant.getTime() + 1), 1).length === 1;
}

/** The schedule's first start at or after an instant (for "next occurrence"). */
export function nextStart(s: Schedule, after: Date): Date | null {
  const rule = ruleOf(s);
  if (!rule) {
    const t = fromFloating(parseLocal(s.startsLocal)!, s.timeZone);
    return t >= after ? t : null;
  }
  // search in floating time a day early, then keep the first that is really at/after
  let cursor = new Date(toFloating(after, s.timeZone).getTime() - 86_400_000);
  for (let i = 0; i < 5; i++) {
    const d = rule.after(cursor, true);
    if (!d) return null;
    const t = fromFloating(d, s.timeZone);
    if (t >= after) return t;
    cursor = new Date(d.getTime() + 1);
  }
  return null;
}
