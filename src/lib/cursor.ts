import { BadInputError } from './errors.js';

type Key = string | number | null;

/**
 * Opaque keyset cursors: base64url of [order, ...sort key values]. The order tag makes a cursor
 * from one ordering unusable with another (which would silently skip or repeat rows).
 */
export function encodeCursor(order: string, keys: Key[]): string {
  return Buffer.from(JSON.stringify([order, ...keys])).toString('base64url');
}

export function decodeCursor(cursor: string, order: string, shape: Array<'string' | 'number' | 'date'>, field = 'after'): Key[] {
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
        ? Number.isSafeInteger(k)
        : want === 'date'
          ? typeof k === 'string' && /^(-infinity|\d{4}-\d{2}-\d{2})$/.test(k)
          : typeof k === 'string';
    if (!ok) throw bad();
  });
  return keys as Key[];
}
