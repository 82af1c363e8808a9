import { drizzle } from 'drizzle-orm/postgres-js';
import type { Redis } from 'ioredis';
import type postgres from 'postgres';
import type { Logger } from '../lib/logger.js';
import { replicaLag, replicaReads } from '../observability/metrics.js';
import { createDatabase, type Database, type Db } from './client.js';
import { isDatabaseUnavailable } from './errors.js';
import * as schema from './schema/index.js';

export interface ReadRoutingOptions {
  /** a replica further behind the primary than this is skipped (DB_REPLICA_MAX_LAG_MS) */
  maxLagMs: number;
  /** how often each process reads both servers' WAL positions (DB_REPLICA_POLL_MS) */
  pollMs: number;
}

/** 'A/B' hex WAL position → one comparable number (exact below 2^53 bytes: 8 PiB of WAL). */
export function lsnValue(lsn: string): number {
  const [hi, lo] = lsn.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
}

/**
 * Errors that say the replica cannot answer now, not that the read is wrong: it is down or
 * restarting (isDatabaseUnavailable), a statement was cancelled by a conflict with recovery
 * (40001), or no pool connection came free in time.
 */
function replicaUnavailable(e: unknown): boolean {
  if (isDatabaseUnavailable(e)) return true;
  const err = e as { code?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code;
  return code === '40001' || code === 'SERVICE_UNAVAILABLE';
}

/**
 * Read routing to a streaming replica (DATABASE_REPLICA_URL).
 * - Directory, search and analytics queries go to the replica (readDbFor); writes, and every read
 *   of a viewer whose own last write the replica has not replayed yet, go to the primary.
 * - A viewer's write is remembered as the primary's WAL position after it committed
 *   (pg_current_wal_lsn), in Redis, so every API process knows it (noteWrite).
 * - Each process reads the replica's replay position and the primary's position every pollMs; the
 *   lag is how long ago the primary was where the replica is now. A replica that is down, not
 *   answering, or more than maxLagMs behind is skipped.
 * - A read that fails on the replica because it is unavailable is run again on the primary (reads
 *   only: the replica refuses writes anyway), and the replica is skipped until the next good poll.
 */
export class ReadRouter {
  /** the drizzle handle over the replica that falls back to the primary */
  readonly replicaDb: Db;
  private replay: number | null = null;
  private healthy = false;
  /** primary positions over the last maxLag window, oldest first */
  private samples: Array<{ at: number; lsn: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private warned = false;

  constructor(
    private readonly primary: Database,
    private readonly replica: Database,
    private readonly redis: Redis,
    private readonly opts: ReadRoutingOptions,
    private readonly log: Logger,
  ) {
    this.replicaDb = drizzle({ client: withFallback(replica.client, primary.client, (e) => this.unavailable(e)), schema, casing: 'snake_case' });
  }

  /** Polls until stop(); the first poll is awaited, so routing starts informed. */
  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => {
      this.polling = this.poll();
    }, this.opts.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  /** The replica's lag behind the primary now, ms (Infinity: unknown or down). */
  lagMs(now = Date.now()): number {
    if (!this.healthy || this.replay === null) return Infinity;
    const replay = this.replay;
    const ahead = this.samples.find((s) => s.lsn > replay);
    if (!ahead) return 0;
    // the oldest retained sample is already past the replica: it is at least that far behind
    return now - ahead.at;
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    const [p, r] = await Promise.allSettled([
      this.primary.sql.unsafe<[{ lsn: string }]>('SELECT pg_current_wal_lsn()::text AS lsn'),
      this.replica.sql.unsafe<[{ lsn: string | null }]>('SELECT pg_last_wal_replay_lsn()::text AS lsn'),
    ]);
    if (p.status === 'fulfilled') {
      this.samples.push({ at: now, lsn: lsnValue(p.value[0].lsn) });
      const keepFrom = now - 2 * this.opts.maxLagMs - this.opts.pollMs;
      while (this.samples.length > 1 && this.samples[0]!.at < keepFrom) this.samples.shift();
    }
    const replay = r.status === 'fulfilled' ? r.value[0].lsn : null;
    if (replay === null) {
      this.unavailable(r.status === 'rejected' ? r.reason : new Error('not a replica (pg_last_wal_replay_lsn is null)'));
    } else {
      this.replay = lsnValue(replay);
      if (!this.healthy) this.log.info('read replica available');
      this.healthy = true;
      this.warned = false;
    }
    const lag = this.lagMs();
    replicaLag.set(Number.isFinite(lag) ? lag / 1000 : -1);
  }

  private unavailable(e: unknown): void {
    this.healthy = false;
    if (!this.warned) {
      this.warned = true;
      this.log.warn({ err: (e as Error)?.message }, 'read replica unavailable; reads go to the primary');
    }
  }

  /** Whether the replica may serve a read that must see a write at `writeLsn` (null: none). */
  fresh(writeLsn: number | null): boolean {
    if (this.lagMs() > this.opts.maxLagMs) return false;
    return writeLsn === null || (this.replay !== null && this.replay >= writeLsn);
  }

  private writeKey(userId: number) {
    return `rw:${userId}`;
  }

  /**
   * The database a viewer's read-only operation runs on: the replica when it is fresh for them,
   * else the primary. One Redis read (the viewer's last write), only when the replica is a candidate.
   */
  async readDbFor(userId: number | undefined): Promise<Db> {
    if (this.lagMs() > this.opts.maxLagMs) return this.count('primary');
    let writeLsn: number | null = null;
    if (userId !== undefined) {
      const v = await this.redis.get(this.writeKey(userId)).catch(() => 'unknown');
      if (v === 'unknown') return this.count('primary');
      writeLsn = v === null ? null : Number(v);
    }
    return this.fresh(writeLsn) ? this.count('replica') : this.count('primary');
  }

  private count(target: 'primary' | 'replica'): Db {
    replicaReads.inc({ target });
    return target === 'replica' ? this.replicaDb : this.primary.db;
  }

  /**
   * After a viewer's write committed: the primary's position now (at or past the commit) is what
   * their next reads must see. Kept long enough to outlast any lag the replica is still used at.
   */
  async noteWrite(userId: number): Promise<void> {
    const [{ lsn }] = await this.primary.sql.unsafe<[{ lsn: string }]>('SELECT pg_current_wal_lsn()::text AS lsn');
    const ttlMs = 2 * this.opts.maxLagMs + this.opts.pollMs + 1000;
    // never lower: two writes answered out of order keep the later position
    await this.redis.eval(
      "local c = tonumber(redis.call('GET', KEYS[1]) or '0') if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 1",
      1,
      this.writeKey(userId),
      String(lsnValue(lsn)),
      String(ttlMs),
    );
  }
}

/**
 * A client for drizzle that runs each statement on the replica and, if the replica cannot answer,
 * on the primary. Transactions go to the primary.
 */
function withFallback(replica: postgres.Sql, primary: postgres.Sql, failed: (e: unknown) => void): postgres.Sql {
  return new Proxy(replica, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (query: string, params?: unknown[], opts?: postgres.UnsafeQueryOptions) => {
          const on = (sql: postgres.Sql, values: boolean): PromiseLike<unknown> => {
            const q = sql.unsafe(query, params as postgres.ParameterOrJSON<never>[], opts);
            return values ? q.values() : q;
          };
          const run = (values: boolean) =>
            Promise.resolve(on(replica, values)).catch((e: unknown) => {
              if (!replicaUnavailable(e)) throw e;
              failed(e);
              return on(primary, values);
            });
          return { values: () => run(true), then: (ok?: (v: unknown) => unknown, fail?: (e: unknown) => unknown) => run(false).then(ok, fail) };
        };
      }
      if (prop === 'begin') return primary.begin.bind(primary);
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * The read router of an API process when DATABASE_REPLICA_URL is set (its own pool to the replica,
 * polling started), or null. close() stops polling and closes the replica's pool.
 */
export async function startReadRouter(
  config: { db: { pool: Parameters<typeof createDatabase>[1]; replica: { url: string; maxLagMs: number; pollMs: number } | null } },
  primary: Database,
  redis: Redis,
  log: Logger,
): Promise<{ router: ReadRouter; close(): Promise<void> } | null> {
  const r = config.db.replica;
  if (!r) return null;
  const replica = createDatabase(r.url, config.db.pool, log, 'steeple-replica');
  const router = new ReadRouter(primary, replica, redis, { maxLagMs: r.maxLagMs, pollMs: r.pollMs }, log);
  await router.start();
  return {
    router,
    async close() {
      await router.stop();
      await replica.close();
    },
  };
}
