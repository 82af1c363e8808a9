import { BadInputError } from './errors.js';
import { MAX_INT4 } from './ids.js';
import { unstorable } from './validate.js';

type Key = string | number | null;
export type KeyKind = 'string' | 'number' | 'date';
/** What a decoded key of that kind is: ids are numbers, names and dates strings. */
export type KeyOf<K extends KeyKind> = K extends 'number' ? number : string;
export type KeysOf<S extends readonly KeyKind[]> = { -readonly [I in keyof S]: KeyOf<S[I]> };

/**
 * Opaque keyset cursors: base64url of [order, ...sort key values]. The order tag makes a cursor
 * from one ordering unusable with another (which would silently skip or repeat rows).
 */
export function encodeCursor(order: string, keys: Key[]): string {
  return Buffer.from(JSON.stringify([order, ...keys])).toString('base64url');
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date PostgreSQL's date type accepts (years 1-9999), or the -infinity the keys use for none. */
function isCursorDate(k: string): boolean {
  if (k === '-infinity') return true;
  const m = DATE.exec(k);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(2000, mo - 1, d));
  dt.setUTCFullYear(y);
  return y >= 1 && dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/**
 * A cursor is client input like any other: every key is checked against what its SQL parameter
 * can hold (ids are int4, dates real calendar dates, strings storable text) so a crafted cursor
 * is BAD_USER_INPUT naming the argument, never a database error.
 */
export function decodeCursor<const S extends readonly KeyKind[]>(cursor: string, order: string, shape: S, field = 'after'): KeysOf<S> {
  const bad = () => new BadInputError({ field, message: 'is not a valid cursor for this list and ordering' });
  if (cursor.length > 2000) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed[0] !== order || parsed.length !== shape.length + 1) throw bad();
  const keys = parsed.slice(1) as unknown[];
  keys.forEach((k, i) => {
    const want = shape[i];
    const ok =
      want === 'number'
        ? Number.isSafeInteger(k) && (k as number) >= 0 && (k as number) <= MAX_INT4
        : want === 'date'
          ? typeof k === 'string' && isCursorDate(k)
          : typeof k === 'string' && unstorable(k) === undefined;
    if (!ok) throw bad();
  });
  // each key was checked against its kind just above
  return keys as KeysOf<S>;
}
