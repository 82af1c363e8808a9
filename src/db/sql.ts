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

/** Raw rows (db.execute) carry timestamps as strings because drizzle sets transparent parsers. */
export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v : new Date(v as string);
}
