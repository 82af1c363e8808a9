import { parsePhoneNumberFromString, validatePhoneNumberLength, type CountryCode } from 'libphonenumber-js/max';
import type { Problems } from './errors.js';

/** Field length limits, shared by the GraphQL inputs, the import and the README. */
export const LIMITS = {
  name: 120,
  personName: 80,
  email: 254,
  phoneInput: 40,
  description: 2000,
  search: 100,
  slug: 63,
  timeZone: 64,
} as const;

// Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by sending,
// not by a regex; this only rejects what is certainly not an address.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const SLUG = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// PostgreSQL text cannot hold NUL; a lone UTF-16 surrogate has no UTF-8 form (the driver would
// store U+FFFD instead, silently changing the value).
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot reach PostgreSQL as it is, or undefined when it can. */
export function unstorable(value: string): string | undefined {
  const m = UNSTORABLE.exec(value);
  if (!m) return undefined;
  return m[0] === '\u0000' ? 'contains a NUL character (U+0000)' : 'contains an unpaired UTF-16 surrogate (invalid Unicode)';
}

/** Records a problem unless `value` is storable text of at most `max` characters (UTF-16 units). */
export function storable(p: Problems, field: string, value: string, max: number): boolean {
  const why = unstorable(value);
  if (why) p.add(field, why);
  else if (value.length > max) p.add(field, `must be at most ${max} characters`);
  else return true;
  return false;
}

/** Trims, checks required/length/storability; returns the cleaned value or undefined after recording a problem. */
export function text(
  p: Problems,
  field: string,
  value: string | null | undefined,
  opts: { max: number; required?: boolean },
): string | null | undefined {
  if (value === undefined) {
    if (opts.required) p.add(field, 'is required');
    return undefined;
  }
  if (value === null) {
    if (opts.required) p.add(field, 'cannot be null');
    return null;
  }
  const why = unstorable(value);
  if (why) {
    p.add(field, why);
    return undefined;
  }
  const v = value.trim();
  if (v.length === 0) {
    if (opts.required) p.add(field, 'cannot be blank');
    return opts.required ? undefined : null;
  }
  if (v.length > opts.max) p.add(field, `must be at most ${opts.max} characters`);
  return v;
}

export function email(p: Problems, field: string, value: string | null | undefined): string | null | undefined {
  const v = text(p, field, value, { max: LIMITS.email });
  if (v && !EMAIL.test(v)) p.add(field, 'is not a valid email address');
  return v ? v.toLowerCase() : v;
}

/** Normalises any reasonable phone input to E.164 using the configured default region. */
export function phone(
  p: Problems,
  field: string,
  value: string | null | undefined,
  defaultRegion: string,
): string | null | undefined {
  const before = p.list.length;
  const v = text(p, field, value, { max: LIMITS.phoneInput });
  if (!v) return v;
  if (p.list.length > before) return undefined; // too long: not worth parsing
  const parsed = parsePhoneNumberFromString(v, defaultRegion as CountryCode);
  if (!parsed || !parsed.isValid()) {
    p.add(field, phoneProblem(v, defaultRegion));
    return undefined;
  }
  return parsed.number;
}

/**
 * What is wrong with a number that did not validate, in libphonenumber's terms (too short, too
 * long, unknown +code …), naming the numbering plan it was checked against: the one of its
 * +country code, or the default region when it has none.
 */
export function phoneProblem(value: string, defaultRegion: string): string {
  const international = value.trim().startsWith('+');
  const code = parsePhoneNumberFromString(value, defaultRegion as CountryCode)?.countryCallingCode;
  const plan = international ? (code ? `+${code} numbers` : 'numbers with that +country code') : `${defaultRegion} numbers`;
  const assumed = international ? '' : ` (no +country code was given, so ${defaultRegion} was assumed)`;
  switch (validatePhoneNumberLength(value, defaultRegion as CountryCode)) {
    case 'NOT_A_NUMBER':
      return 'is not a phone number';
    case 'INVALID_COUNTRY':
      return international ? 'starts with a +country code that does not exist' : `has no +country code and ${defaultRegion} is not a known region`;
    case 'TOO_SHORT':
      return `is too short for ${plan}${assumed}`;
    case 'TOO_LONG':
      return `is too long for ${plan}${assumed}`;
    case 'INVALID_LENGTH':
      return `has a number of digits no ${plan.replace(/ numbers$/, '')} number has${assumed}`;
    default:
      return `is not a valid number in the numbering plan of ${plan}${assumed}`;
  }
}

export function isoDate(p: Problems, field: string, value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const m = DATE.exec(value.trim());
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const dt = new Date(Date.UTC(y, mo - 1, d));
    if (y >= 1850 && y <= 2200 && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d) return value.trim();
  }
  p.add(field, 'must be a date YYYY-MM-DD between 1850 and 2200');
  return undefined;
}

export function slug(p: Problems, field: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (!SLUG.test(v)) p.add(field, 'must be 3-63 characters of a-z, 0-9 and inner hyphens');
  return v;
}

export function timeZone(p: Problems, field: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v.length > LIMITS.timeZone || !isTimeZone(v)) {
    p.add(field, 'must be an IANA time zone such as America/Chicago');
    return undefined;
  }
  return v;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.includes('/') || tz === 'UTC';
  } catch {
    return false;
  }
}

/** Today's date (YYYY-MM-DD) in a time zone: growth dates are calendar dates in the church's zone. */
export function todayIn(tz: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
