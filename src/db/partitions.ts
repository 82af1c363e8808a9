import type postgres from 'postgres';
import type { PartitionSettings } from '../config/env.js';
import { NEVER_HANDED_OVER_STATUSES } from '../delivery/status.js';

/**
 * message_recipients, the table that grows fastest (one row per text), is partitioned by month
 * (drizzle/0009): PARTITION BY RANGE (created_at), one partition per UTC month, named
 * message_recipients_y2026m12. A recipient's created_at is its message's, so a message's rows are in
 * one partition, and a month leaves as a whole.
 *
 * - ensurePartitions makes the current month and `ahead` months after it (migrations run it at every
 *   start; the SMS worker every PARTITION_MAINTENANCE_INTERVAL_S). There is no default partition: a
 *   row with no month to go to is refused, and sendMessage makes the month and tries again
 *   (insertWithPartition), so a text is never lost to a missing month and no default partition has
 *   to be emptied before a month can be made.
 * - detachExpired takes out the months that ended more than `retentionMonths` ago: first it writes
 *   each message's delivery figures onto the message (messages.delivery_summary, which the counts
 *   read from then on), then DETACH PARTITION … CONCURRENTLY (no lock that stops reads or writes of
 *   the other months), then the table goes to the `archive` schema (to be dumped and dropped at the
 *   operator's pace) or is dropped.
 */

export const PARENT = 'message_recipients';
const NAME = /^message_recipients_y(\d{4})m(\d{2})$/;

/** The first instant (UTC) of the month `t` is in, `plus` months on. */
export function monthStart(t: Date, plus = 0): Date {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + plus, 1));
}

export function partitionName(month: Date): string {
  return `${PARENT}_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

export interface Partition {
  name: string;
  /** the month's first instant, and the next month's */
  from: Date;
  to: Date;
  /** a DETACH … CONCURRENTLY that did not finish (it is finished by the next detachExpired) */
  detachPending: boolean;
}

/** The partitions of message_recipients now, oldest first. */
export async function listPartitions(sql: postgres.Sql): Promise<Partition[]> {
  const rows = await sql<Array<{ name: string; detach_pending: boolean }>>`
    SELECT c.relname AS name, i.inhdetachpending AS detach_pending
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = ${PARENT}::regclass`;
  const out: Partition[] = [];
  for (const r of rows) {
    const m = NAME.exec(r.name);
    // one of ours by its name: made by this file or drizzle/0009, each one month
    if (!m) continue;
    const from = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
    out.push({ name: r.name, from, to: monthStart(from, 1), detachPending: r.detach_pending });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** Runs one statement of DDL: a postgres.js pool's `unsafe`, or drizzle's `execute(sql.raw(…))`. */
export type RunDdl = (statement: string) => Promise<unknown>;

/**
 * The statement that renames a partition's indexes after the parent's, with the month's suffix
 * (message_recipients_message_status_idx_y2026m12), for plans that read as the schema does.
 */
const RENAME_INDEXES = (table: string, suffix: string) => `
    FOR r IN SELECT c.relname AS child, p.relname AS parent
             FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
             JOIN pg_inherits i ON i.inhrelid = x.indexrelid JOIN pg_class p ON p.oid = i.inhparent
             WHERE x.indrelid = '"${table}"'::regclass LOOP
      IF r.child <> r.parent || '${suffix}' THEN
        EXECUTE format('ALTER INDEX %I RENAME TO %I', r.child, r.parent || '${suffix}');
      END IF;
    END LOOP;`;

/**
 * One month's partition, unless it is there (made concurrently by another process: fine), with
 * its indexes named after the parent's (RENAME_INDEXES). One statement.
 */
export async function createPartition(run: RunDdl, month: Date): Promise<void> {
  const from = monthStart(month);
  const name = partitionName(from);
  const suffix = name.slice(PARENT.length);
  try {
    await run(`DO $$
  DECLARE r record;
  BEGIN
    IF to_regclass('"${name}"') IS NOT NULL THEN RETURN; END IF;
    CREATE TABLE "${name}" PARTITION OF ${PARENT} FOR VALUES FROM ('${from.toISOString()}') TO ('${monthStart(from, 1).toISOString()}');
    ${RENAME_INDEXES(name, suffix)}
    -- the month's own unique provider id (src/db/schema/message.ts says why it is not the parent's)
    CREATE UNIQUE INDEX "message_recipients_sid_key${suffix}" ON "${name}" USING btree (provider_sid) WHERE provider_sid IS NOT NULL;
  END $$`);
  } catch (e) {
    // two processes making the same month at once: one wins, the other finds it made
    const code = (e as { code?: string }).code;
    if (code === '42P07' || code === '23505') return;
    throw e;
  }
}

/** The current month and `ahead` after it: makes those missing; returns their names. */
export async function ensurePartitions(sql: postgres.Sql, ahead: number, now = new Date()): Promise<string[]> {
  const have = new Set((await listPartitions(sql)).map((p) => p.name));
  const made: string[] = [];
  for (let i = 0; i <= ahead; i++) {
    const month = monthStart(now, i);
    if (have.has(partitionName(month))) continue;
    await createPartition((t) => sql.unsafe(t), month);
    made.push(partitionName(month));
  }
  return made;
}

/** PostgreSQL's answer to a row whose month has no partition (also inside drizzle's wrapper, `cause`). */
export function isMissingPartition(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const err = cur as { code?: string; message?: string };
    if (err.code === '23514' && /no partition of relation/.test(err.message ?? '')) return true;
  }
  return false;
}

/**
 * Runs `write` (a transaction that inserts recipients written now); if a row found no month, makes
 * this month (and, a day from a month's edge, the one next to it: the database's clock is not
 * ours) and runs it once more.
 */
export async function insertWithPartition<T>(run: RunDdl, write: () => Promise<T>, now = () => new Date()): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (!isMissingPartition(e)) throw e;
    const t = now().getTime();
    const months = new Set([t - 86_400_000, t, t + 86_400_000].map((x) => monthStart(new Date(x)).getTime()));
    for (const m of months) await createPartition(run, new Date(m));
    return write();
  }
}

export interface DetachedPartition {
  name: string;
  messages: number;
  rows: number;
  /** where its rows are now: `archive.<name>`, or null when dropped */
  archivedAs: string | null;
}

/** The months whose end is more than `retentionMonths` before the current month's start. */
export function expiredPartitions(partitions: readonly Partition[], retentionMonths: number, now = new Date()): Partition[] {
  if (retentionMonths <= 0) return [];
  const keepFrom = monthStart(now, -retentionMonths);
  return partitions.filter((p) => p.to.getTime() <= keepFrom.getTime());
}

const NEVER_SENT = NEVER_HANDED_OVER_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Detaches the months past the retention (see the top): their messages keep their figures in
 * messages.delivery_summary. DETACH … CONCURRENTLY cannot run in a transaction: `sql` is a
 * connection pool outside one.
 */
export async function detachExpired(
  sql: postgres.Sql,
  settings: Pick<PartitionSettings, 'retentionMonths' | 'detached'>,
  now = new Date(),
): Promise<DetachedPartition[]> {
  const out: DetachedPartition[] = [];
  for (const p of expiredPartitions(await listPartitions(sql), settings.retentionMonths, now)) {
    const table = `"${p.name}"`;
    // the figures first: from here on the counts read them, and the rows may go
    const [summary] = await sql.unsafe<[{ messages: number; rows: number }]>(`
      WITH c AS (
        SELECT message_id, status, count(*)::int AS n,
               count(*) FILTER (WHERE provider_sid IS NOT NULL AND status NOT IN (${NEVER_SENT}))::int AS sent
        FROM ${table} GROUP BY message_id, status
      ), s AS (
        SELECT message_id, jsonb_object_agg(status, n) AS counts, sum(sent)::int AS sent, sum(n)::int AS n FROM c GROUP BY message_id
      ), w AS (
        UPDATE messages m SET delivery_summary = jsonb_build_object('counts', s.counts, 'textsSent', s.sent, 'archivedAt', now())
        FROM s WHERE m.id = s.message_id AND m.delivery_summary IS NULL
        RETURNING m.id
      )
      SELECT (SELECT count(*) FROM s)::int AS messages, coalesce((SELECT sum(n) FROM s), 0)::int AS rows, (SELECT count(*) FROM w)::int AS written`);
    if (p.detachPending) await sql.unsafe(`ALTER TABLE ${PARENT} DETACH PARTITION ${table} FINALIZE`);
    else await sql.unsafe(`ALTER TABLE ${PARENT} DETACH PARTITION ${table} CONCURRENTLY`);
    out.push({ name: p.name, messages: summary!.messages, rows: summary!.rows, archivedAs: await putAway(sql, p.name, settings.detached) });
  }
  // a month detached by a pass that stopped before putting it away
  const strays = await sql<Array<{ name: string }>>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT c.relispartition AND c.relname ~ '^message_recipients_y[0-9]{4}m[0-9]{2}$'`;
  for (const { name } of strays) out.push({ name, messages: 0, rows: 0, archivedAs: await putAway(sql, name, settings.detached) });
  return out;
}

async function putAway(sql: postgres.Sql, name: string, detached: PartitionSettings['detached']): Promise<string | null> {
  if (detached === 'drop') {
    await sql.unsafe(`DROP TABLE "${name}"`);
    return null;
  }
  await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS archive`);
  await sql.unsafe(`ALTER TABLE "${name}" SET SCHEMA archive`);
  return `archive.${name}`;
}

export interface MaintenanceResult {
  created: string[];
  detached: DetachedPartition[];
}

/** One pass: the months ahead, then the months past the retention. */
export async function maintainPartitions(sql: postgres.Sql, settings: PartitionSettings, now = new Date()): Promise<MaintenanceResult> {
  const created = await ensurePartitions(sql, settings.ahead, now);
  const detached = await detachExpired(sql, settings, now);
  return { created, detached };
}
