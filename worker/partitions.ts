import type { Redis } from 'ioredis';
import postgres from 'postgres';
import type { PartitionSettings } from '../src/config/env.js';
import { maintainPartitions, type MaintenanceResult } from '../src/db/partitions.js';
import type { Logger } from '../src/lib/logger.js';

/**
 * The scheduled job of src/db/partitions.ts: at the start and every PARTITION_MAINTENANCE_INTERVAL_S,
 * an SMS worker (one at a time in the fleet: a Redis lock) makes message_recipients' months ahead
 * and detaches those past RECIPIENT_RETENTION_MONTHS. DDL goes to the server itself
 * (DATABASE_DIRECT_URL when the pool is behind PgBouncer): DETACH … CONCURRENTLY runs outside a
 * transaction and waits for the transactions that can still see the month.
 */
/** rows per DELETE, and DELETEs per pass: a long backlog is worked off over several passes */
export const AUDIT_PRUNE_BATCH = 5000;
export const AUDIT_PRUNE_BATCHES = 100;

/**
 * Removes audit_log rows older than AUDIT_RETENTION_DAYS, oldest first, in bounded batches (each
 * its own short statement on audit_log_at_idx, so no long lock and no long transaction).
 */
export async function pruneAudit(sql: postgres.Sql, days: number, now: Date): Promise<number> {
  if (days <= 0) return 0;
  const before = new Date(now.getTime() - days * 86_400_000);
  let total = 0;
  for (let i = 0; i < AUDIT_PRUNE_BATCHES; i++) {
    const [row] = await sql<[{ n: number }]>`
      WITH gone AS (
        DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ${before.toISOString()}::timestamptz ORDER BY at LIMIT ${AUDIT_PRUNE_BATCH}) RETURNING 1
      ) SELECT count(*)::int AS n FROM gone`;
    total += row.n;
    if (row.n < AUDIT_PRUNE_BATCH) break;
  }
  return total;
}

export function createPartitionMaintenance(o: { url: string; settings: PartitionSettings; redis: Redis; lockKey: string; log: Logger }) {
  let running: Promise<MaintenanceResult | null> | null = null;

  const token = `${process.pid}:${Math.random().toString(36).slice(2)}`;

  async function pass(now: Date): Promise<MaintenanceResult | null> {
    // one pass at a time in the fleet (a second, after it, finds nothing left to do); the lock
    // lapses by itself if its holder dies
    const took = await o.redis.set(o.lockKey, token, 'EX', 600, 'NX');
    if (took !== 'OK') return null;
    const sql = postgres(o.url, { max: 1, onnotice: () => {}, connection: { application_name: 'steeple-partitions' } });
    try {
      const result = await maintainPartitions(sql, o.settings, now);
      if (result.created.length || result.detached.length) o.log.info(result, 'message_recipients partitions maintained');
      const pruned = await pruneAudit(sql, o.settings.auditRetentionDays ?? 0, now);
      if (pruned) o.log.info({ pruned, days: o.settings.auditRetentionDays }, 'audit_log pruned');
      return result;
    } finally {
      await sql.end({ timeout: 5 });
      // ours only: a lock that lapsed and was taken by another worker stays theirs
      await o.redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, o.lockKey, token).catch(() => 0);
    }
  }

  return {
    /** one pass now (also what the timer runs); null: another worker holds this interval's lock */
    runOnce(now = new Date()): Promise<MaintenanceResult | null> {
      return (running ??= pass(now).finally(() => (running = null)));
    },
    /** waits for a pass in progress (the worker's close) */
    async idle(): Promise<void> {
      await running?.catch(() => undefined);
    },
  };
}
