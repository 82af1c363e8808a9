import { AsyncLocalStorage } from 'node:async_hooks';
import type { Cache, CacheEntityRecord } from '@envelop/response-cache';
import type { ExecutionResult } from 'graphql';
import { entityTag, RedisTagStore } from './tag-store.js';

export { entityTag } from './tag-store.js';

/** What the request being executed adds to the cache entry: its tags and its operation name. */
export interface CacheRequestScope {
  tags: string[];
  operation: string;
  /** this HTTP request's cache attempt (see CacheAttempt) */
  attempt?: CacheAttempt;
}

/** Set by the response-cache plugin around envelop's execute: the store reads it in get/set. */
export const cacheRequest = new AsyncLocalStorage<CacheRequestScope>();

/**
 * One per HTTP request (the cache fast path makes it; the context carries it to envelop's reads):
 * once a read or write of this request has failed, its others skip Redis, so a request waits on
 * the cache's timeout at most once. Passed along explicitly: an AsyncLocalStorage entered for
 * every request halved the cached answers' throughput.
 */
export interface CacheAttempt {
  failed: boolean;
}

/**
 * The response cache's Redis store (envelop's Cache interface), written for what the published
 * store lacks: every key expires (responses with their TTL; tag sets at least as long as any
 * member), no KEYS anywhere, one prefix for everything, and it fails open: a slow or absent Redis
 * (commandTimeout, no offline queue) makes a read a miss and a write a no-op, never an error.
 * Invalidations that could not reach Redis are kept and replayed when it answers again, so an
 * outage cannot leave a stale answer behind. Once a read or write failed, the rest of that request
 * skips Redis (CacheAttempt), so a miss never waits on the timeout twice (the fast path's peek,
 * then envelop's get).
 */
export class RedisResponseCache extends RedisTagStore implements Cache {
  private responseKey(id: string) {
    return `resp:${id}`;
  }

  async get(id: string): Promise<ExecutionResult | undefined> {
    const scope = cacheRequest.getStore();
    const op = scope?.operation ?? 'anonymous';
    if (scope?.attempt?.failed) {
      this.metrics.count('misses', op);
      return undefined;
    }
    try {
      const raw = await this.redis.get(this.responseKey(id));
      this.metrics.count(raw ? 'hits' : 'misses', op);
      return raw ? (JSON.parse(raw) as ExecutionResult) : undefined;
    } catch (e) {
      this.failed(scope?.attempt, 'get', e);
      this.metrics.count('misses', op);
      return undefined;
    }
  }

  /**
   * A hit as the raw JSON text of the cached answer (the fast path sends it as is); a miss is not
   * counted here, because the full path that follows counts it.
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
    const scope = cacheRequest.getStore();
    if (scope?.attempt?.failed) return Promise.resolve();
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
