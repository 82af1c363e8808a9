import { BadInputError, NotFoundError } from './errors.js';

/** Row ids are PostgreSQL integer (int4). */
export const MAX_INT4 = 2_147_483_647;

/** Parses a GraphQL ID into a row id: malformed is bad input, out of range cannot exist. */
export function parseId(value: string | number, type: string, field = 'id'): number {
  const s = String(value).trim();
  if (!/^\d{1,12}$/.test(s)) throw new BadInputError({ field, message: `is not a valid ${type} id` });
  const n = Number(s);
  if (n < 1 || n > MAX_INT4) throw new NotFoundError(type, s, field);
  return n;
}

export function parseIds(values: ReadonlyArray<string | number>, type: string, field: string, max: number): number[] {
  if (values.length > max) throw new BadInputError({ field, message: `accepts at most ${max} ids` });
  return [...new Set(values.map((v) => parseId(v, type, field)))];
}
