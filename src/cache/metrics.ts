import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { cacheEvents } from '../observability/metrics.js';

export type CacheCounter = 'hits' | 'misses' | 'writes' | 'invalidations' | 'errors';

export interface CacheStats {
  hits: number;
  misses: number;
  hitRatio: number | null;
  writes: number;
  invalidations: number;
  errors: number;
  operations: Array<{ operation: string; hits: number; misses: number; hitRatio: number | null }>;
  keys: number | null;
  memoryBytes: number | null;
}

const ratio = (h: number, m: number) => (h + m ? h / (h + m) : null);

/**
 * Cache counters shared by every process: counted in memory and added to Redis hashes once a
 * second (one pipelined HINCRBY batch, never a round trip per request). Counts that could not be
 * written (Redis down) stay and go with the next flush.
 */
export class CacheMetrics {
  private totals = new Map<string, number>();
  private perOp = new Map<string, number>();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  count(counter: CacheCounter, operation?: string, n = 1): void {
    cacheEvents.inc({ event: counter }, n);
    this.totals.set(counter, (this.totals.get(counter) ?? 0) + n);
    if (operation && (counter === 'hits' || counter === 'misses')) {
      const k = `${operation.slice(0, 100)}:${counter}`;
      // bounded: a client inventing operation names cannot grow this without limit
      if (this.perOp.has(k) || this.perOp.size < 1000) this.perOp.set(k, (this.perOp.get(k) ?? 0) + n);
    }
  }

  async flush(): Promise<void> {
    if (!this.totals.size && !this.perOp.size) return;
    const totals = this.totals;
    const perOp = this.perOp;
    this.totals = new Map();
    this.perOp = new Map();
    try {
      const p = this.redis.multi();
      for (const [k, v] of totals) p.hincrby('metrics:cache', k, v);
      for (const [k, v] of perOp) p.hincrby('metrics:cache:ops', k, v);
      await p.exec();
    } catch {
      // keep them for the next flush
      for (const [k, v] of totals) this.totals.set(k, (this.totals.get(k) ?? 0) + v);
      for (const [k, v] of perOp) this.perOp.set(k, (this.perOp.get(k) ?? 0) + v);
    }
  }

  /** Totals across all processes (what has been flushed), plus keys and memory of the cache Redis. */
  async read(): Promise<CacheStats> {
    await this.flush();
    const [totals, ops] = await Promise.all([this.redis.hgetall('metrics:cache'), this.redis.hgetall('metrics:cache:ops')]);
    const n = (k: string) => Number(totals[k] ?? 0);
    const byOp = new Map<string, { hits: number; misses: number }>();
    for (const [k, v] of Object.entries(ops)) {
      const i = k.lastIndexOf(':');
      const op = k.slice(0, i);
      const entry = byOp.get(op) ?? { hits: 0, misses: 0 };
      entry[k.slice(i + 1) as 'hits' | 'misses'] = Number(v);
      byOp.set(op, entry);
    }
    let keys: number | null = null;
    let memoryBytes: number | null = null;
    try {
      keys = await this.redis.dbsize();
      memoryBytes = Number(/used_memory:(\d+)/.exec(await this.redis.info('memory'))?.[1] ?? NaN) || null;
    } catch (e) {
      this.log.debug({ err: e }, 'cache size unavailable');
    }
    return {
      hits: n('hits'),
      misses: n('misses'),
      hitRatio: ratio(n('hits'), n('misses')),
      writes: n('writes'),
      invalidations: n('invalidations'),
      errors: n('errors'),
      operations: [...byOp]
        .map(([operation, c]) => ({ operation, ...c, hitRatio: ratio(c.hits, c.misses) }))
        .sort((a, b) => b.hits + b.misses - (a.hits + a.misses)),
      keys,
      memoryBytes,
    };
  }

  async reset(): Promise<void> {
    this.totals.clear();
    this.perOp.clear();
    await this.redis.del('metrics:cache', 'metrics:cache:ops');
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
