import type { Cache, CacheEntityRecord } from '@envelop/response-cache';
import type { ExecutionResult } from 'graphql';
import { entityTag, RedisTagStore } from './tag-store.js';

export { entityTag } from './tag-store.js';

/**
 * One per HTTP request (the cache door makes it): once a read or write of this request has failed,
 * its others skip Redis, so a request waits on the cache's timeout at most once.
 */
export interface CacheAttempt {
  failed: boolean;
}

/** The door's decision for a cacheable request that missed: what execution writes, and where. */
export interface CacheDecision {
  key: string;
  ttlMs: number;
  attempt: CacheAttempt;
}

/**
 * A miss the door has already looked up, on its way through execution: envelop's read of this key
 * is answered "miss" without asking Redis again, and its write gets the policy's tags and the
 * operation's name. Keyed by the cache key, which names the document, the variables and the
 * viewer's access: requests sharing a key share all of this.
 */
interface PendingMiss {
  tags: string[];
  operation: string;
  attempt: CacheAttempt;
  /** requests with this key in flight */
  count: number;
}

/**
 * The response cache's Redis store (envelop's Cache interface), written for what the published
 * store lacks: every key expires (responses with their TTL; tag sets at least as long as any
 * member), no KEYS anywhere, one prefix for everything, and it fails open: a slow or absent Redis
 * (commandTimeout, no offline queue) makes a read a miss and a write a no-op, never an error.
 * Invalidations that could not reach Redis are kept and replayed when it answers again, so an
 * outage cannot leave a stale answer behind. Once a read or write failed, the rest of that request
 * skips Redis (CacheAttempt). A miss costs one read: the door's (src/http/cache-door.ts).
 */
export class RedisResponseCache extends RedisTagStore implements Cache {
  private readonly misses = new Map<string, PendingMiss>();

  private responseKey(id: string) {
    return `resp:${id}`;
  }

  /**
   * The door looked this key up and missed: until `done` the execution's read is a miss without a
   * Redis call, and its write carries these tags. Counted as a miss once, here.
   */
  missed(id: string, miss: { tags: string[]; operation: string; attempt: CacheAttempt }): () => void {
    this.metrics.count('misses', miss.operation);
    const p = this.misses.get(id);
    if (p) p.count++;
    else this.misses.set(id, { ...miss, count: 1 });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const q = this.misses.get(id);
      if (q && --q.count === 0) this.misses.delete(id);
    };
  }

  /** envelop's read: only ever for a key the door missed (see missed), so no Redis call. */
  async get(id: string): Promise<ExecutionResult | undefined> {
    if (this.misses.has(id)) return undefined;
    // not through the door (nothing else reads): a plain read, for completeness of the interface
    try {
      const raw = await this.redis.get(this.responseKey(id));
      return raw ? (JSON.parse(raw) as ExecutionResult) : undefined;
    } catch (e) {
      this.fail('get', e);
      return undefined;
    }
  }

  /**
   * The door's read: a hit as the raw JSON text of the cached answer (sent as is). A miss is not
   * counted here: the door says `missed` when it goes on to execute.
   */
  async peek(id: string, operation: string, attempt?: CacheAttempt): Promise<string | null> {
    if (attempt?.failed) return null;
    try {
      const raw = await this.redis.get(this.responseKey(id));
      if (raw) this.metrics.count('hits', operation);
      return raw;
    } catch (e) {
      this.failed(attempt, 'get', e);
      return null;
    }
  }

  /** Never rejects: envelop does not await it. */
  set(id: string, data: ExecutionResult, entities: Iterable<CacheEntityRecord>, ttl: number): Promise<void> {
    const scope = this.misses.get(id);
    if (scope?.attempt.failed) return Promise.resolve();
    const ms = Number.isFinite(ttl) ? Math.max(1, Math.floor(ttl)) : 60_000;
    const key = this.responseKey(id);
    const tags = new Set(scope?.tags ?? []);
    for (const e of entities) {
      tags.add(entityTag(e.typename));
      if (e.id !== undefined) tags.add(entityTag(e.typename, e.id));
    }
    const p = this.redis.multi().set(key, JSON.stringify(data), 'PX', ms);
    for (const tag of tags) {
      const t = `tag:${tag}`;
      p.sadd(t, `${this.prefix}${key}`);
      // a new set gets an expiry (NX); an existing one only ever a later one (GT)
      p.pexpire(t, ms, 'NX').pexpire(t, ms, 'GT');
    }
    return p.exec().then(
      () => this.metrics.count('writes'),
      (e) => this.failed(scope?.attempt, 'set', e),
    );
  }

  /** Drops every cached response tagged with any of these (entities from envelop, or our tags). */
  async invalidate(entities: Iterable<CacheEntityRecord>): Promise<void> {
    const tags: string[] = [];
    for (const e of entities) tags.push(entityTag(e.typename, e.id));
    await this.invalidateTags(tags);
  }

  private failed(attempt: CacheAttempt | undefined, what: string, e: unknown) {
    if (attempt) attempt.failed = true;
    this.fail(what, e);
  }
}
