import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';
import type { Queryable } from './client.js';

/**
 * `COPY … FROM STDIN` inside a drizzle transaction: the source stream goes to the server through
 * postgres.js's writable COPY stream (backpressure end to end), as one statement however many rows.
 * drizzle has no COPY, so this reaches the transaction's own postgres.js handle (its session's
 * client: the connection the transaction holds); outside a transaction it refuses.
 */
export async function copyIn(tx: Queryable, statement: string, source: Readable): Promise<void> {
  const client = (tx as unknown as { session?: { client?: postgres.TransactionSql } }).session?.client;
  if (!client || typeof (client as { savepoint?: unknown }).savepoint !== 'function') throw new Error('copyIn needs a transaction');
  const sink = await client.unsafe(statement).writable();
  await pipeline(source, sink);
}

/** One value of a COPY text-format row: \N for null, backslash escapes for \ and the separators. */
export function copyText(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
