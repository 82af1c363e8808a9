import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
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

/** Trims, checks required/length; returns the cleaned value or undefined after recording a problem. */
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
    p.add(field, `is not a valid phone number (region ${defaultRegion} assumed without a +country code)`);
    return undefined;
  }
  return parsed.number;
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
