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
  return v instanceof Date ? v : new Date(v);
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
