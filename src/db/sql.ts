import { sql, type SQL } from 'drizzle-orm';

/**
 * An id list as ONE text parameter: the statement text stays the same whatever the list length,
 * so postgres.js prepares it once (drizzle would otherwise expand an array into one parameter each).
 */
export function intArray(ids: readonly number[]): SQL {
  return sql`string_to_array(${ids.join(',')}, ',')::int[]`;
}

/** Escapes LIKE wildcards in user text. */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A timestamp of a raw row. db.execute rows carry timestamps as text, because drizzle sets
 * transparent parsers for the timestamp types (its own column mappers make the Dates); the raw row
 * types in the *.queries.ts files say `string`. A NOT NULL column gives a Date, a nullable one
 * Date | null.
 */
export function toDate(v: string | Date): Date;
export function toDate(v: string | Date | null | undefined): Date | null;
export function toDate(v: string | Date | null | undefined): Date | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v : new Date(pgTimestampMs(v));
}

const digits = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
};

/**
 * Milliseconds since the epoch of a timestamp in PostgreSQL's text output
 * (`2026-11-30 12:00:00.123456+00`, `… +05:30`), read by position: V8's own parser takes the
 * non-ISO form through its slow path, and the directory's rows carry several timestamps each.
 * Anything else (infinity, BC, years past 9999, ISO text) goes to Date's parser.
 */
export function pgTimestampMs(s: string): number {
  const n = s.length;
  if (n < 22 || s.charCodeAt(4) !== 45 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return Date.parse(s);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    // a fraction: its first three digits are milliseconds (the rest is truncated, as Date does)
    let scale = 100;
    for (i++; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      ms += d * scale;
      scale /= 10;
    }
    ms = Math.floor(ms);
  }
  const sign = s.charCodeAt(i);
  if ((sign !== 43 && sign !== 45) || (n - i !== 3 && n - i !== 6 && n - i !== 9)) return Date.parse(s);
  let offset = digits(s, i + 1, i + 3) * 60;
  if (n - i >= 6) offset += digits(s, i + 4, i + 6);
  const seconds = n - i === 9 ? digits(s, i + 7, i + 9) : 0;
  const year = digits(s, 0, 4);
  if (!(year >= 100)) return Date.parse(s); // Date.UTC reads 0-99 as 1900-1999
  const t = Date.UTC(year, digits(s, 5, 7) - 1, digits(s, 8, 10), digits(s, 11, 13), digits(s, 14, 16), digits(s, 17, 19), ms);
  const shift = (offset * 60 + seconds) * 1000 * (sign === 43 ? -1 : 1);
  const out = t + shift;
  return Number.isFinite(out) ? out : Date.parse(s);
}

/**
 * The row of an INSERT … RETURNING of one row: PostgreSQL returns it or the statement fails (no ON
 * CONFLICT DO NOTHING, no triggers), so an empty result is a bug, not a case for the caller.
 */
export function insertedRow<T>(rows: readonly T[]): T {
  const [row] = rows;
  if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
  return row;
}
