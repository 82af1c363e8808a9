import type { Cache, CacheEntityRecord } from '@envelop/response-cache';
import type { ExecutionResult } from 'graphql';
import type { Logger } from '../lib/logger.js';
import { LiveSubscription } from '../redis/live-subscription.js';
import { entityTag, RedisTagStore } from './tag-store.js';

/**
 * How an answer is stored in Redis: `<expires at, ms>\n<its tags, space-separated>\n<the JSON>`,
 * so a process that reads it from Redis can keep it in memory until then and drop it by tag.
 */
function encode(expiresAt: number, tags: Iterable<string>, json: string): string {
  return `${expiresAt}\n${[...tags].join(' ')}\n${json}`;
}
function decode(raw: string): { expiresAt: number; tags: string[]; json: string } | null {
  const a = raw.indexOf('\n');
  const b = a < 0 ? -1 : raw.indexOf('\n', a + 1);
  if (b < 0) return null;
  const expiresAt = Number(raw.slice(0, a));
  if (!Number.isFinite(expiresAt)) return null;
  const tags = raw.slice(a + 1, b);
  return { expiresAt, tags: tags ? tags.split(' ') : [], json: raw.slice(b + 1) };
}

/** A cached answer as the door sends it. */
const answerBytes = (json: string) => Buffer.from(`${json}\n`);

interface L1Entry {
  /** the answer as sent: its JSON and a newline, UTF-8 */
  body: Buffer;
  tags: string[];
  expiresAt: number;
  bytes: number;
}

/**
 * The in-process tier in front of Redis: answers by key, bounded by bytes (least recently used
 * out first), each with the tags it was stored under. An invalidation drops entries by tag here at
 * once and in every other process through Redis pub/sub; while that subscription is not live (the
 * cache Redis is down, reconnecting, or hung: a heartbeat PING on the subscriber connection must
 * answer within the cache timeout every second) the tier is emptied and not used. So what another
 * process invalidated is never served from here later than one heartbeat after the invalidation
 * could not be announced.
 */
class MemoryTier {
  private readonly entries = new Map<string, L1Entry>();
  private readonly byTag = new Map<string, Set<string>>();
  private bytes = 0;
  live = false;

  constructor(readonly maxBytes: number) {}

  get(key: string, now: number): Buffer | null {
    if (!this.live) return null;
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= now) {
      this.delete(key);
      return null;
    }
    // most recently used last
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.body;
  }

  set(key: string, body: Buffer, tags: string[], expiresAt: number): void {
    if (!this.live) return;
    const bytes = body.length + 200;
    if (bytes > this.maxBytes / 8) return; // one answer never takes most of the tier
    this.delete(key);
    this.entries.set(key, { body, tags, expiresAt, bytes });
    this.bytes += bytes;
    for (const t of tags) {
      let keys = this.byTag.get(t);
      if (!keys) this.byTag.set(t, (keys = new Set()));
      keys.add(key);
    }
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  drop(tags: readonly string[] | '*'): void {
    if (tags === '*') return this.clear();
    for (const t of tags) {
      const keys = this.byTag.get(t);
      if (!keys) continue;
      for (const k of [...keys]) this.delete(k);
      this.byTag.delete(t);
    }
  }

  clear(): void {
    this.entries.clear();
    this.byTag.clear();
    this.bytes = 0;
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
    for (const t of e.tags) {
      const keys = this.byTag.get(t);
      keys?.delete(key);
      if (keys && !keys.size) this.byTag.delete(t);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

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
  private readonly l1: MemoryTier;
  private readonly subscriber: LiveSubscription | null;

  /** l1MaxBytes: the in-process tier's budget (0: none, every hit reads Redis) */
  constructor(url: string, prefix: string, log: Logger, timeoutMs: number, l1MaxBytes = 0) {
    super(url, prefix, log, timeoutMs);
    this.l1 = new MemoryTier(l1MaxBytes);
    this.subscriber = null;
    if (l1MaxBytes > 0) {
      this.subscriber = new LiveSubscription({
        url,
        channel: this.channel,
        timeoutMs,
        onMessage: (text) => {
          try {
            const tags = JSON.parse(text) as string[] | '*';
            this.l1.drop(Array.isArray(tags) ? tags.filter((t) => typeof t === 'string') : '*');
          } catch {
            this.l1.clear();
          }
        },
        // either way what was kept goes: it may have missed an invalidation, or may miss the next
        onLive: (live) => {
          this.l1.clear();
          this.l1.live = live;
        },
      });
    }
  }

  protected override dropLocal(tags: readonly string[] | '*'): void {
    this.l1.drop(tags);
  }

  /** entries in the in-process tier (ops and tests) */
  get memoryEntries(): number {
    return this.l1.size;
  }

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
      const entry = raw ? decode(raw) : null;
      return entry ? (JSON.parse(entry.json) as ExecutionResult) : undefined;
    } catch (e) {
      this.fail('get', e);
      return undefined;
    }
  }

  /**
   * The door's read: a hit as the bytes of the answer (the cached JSON and a newline, sent as
   * they are; from the in-process tier without copying). A miss is not counted here: the door
   * says `missed` when it goes on to execute.
   */
  async peek(id: string, operation: string, attempt?: CacheAttempt): Promise<Buffer | null> {
    const now = Date.now();
    const mem = this.l1.get(id, now);
    if (mem !== null) {
      this.metrics.count('hits', operation);
      return mem;
    }
    if (attempt?.failed) return null;
    try {
      const raw = await this.redis.get(this.responseKey(id));
      const entry = raw ? decode(raw) : null;
      if (!entry || entry.expiresAt <= now) return null;
      this.metrics.count('hits', operation);
      const body = answerBytes(entry.json);
      this.l1.set(id, body, entry.tags, entry.expiresAt);
      return body;
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
    const json = JSON.stringify(data);
    const expiresAt = Date.now() + ms;
    const p = this.redis.multi().set(key, encode(expiresAt, tags, json), 'PX', ms);
    for (const tag of tags) {
      const t = `tag:${tag}`;
      p.sadd(t, `${this.prefix}${key}`);
      // a new set gets an expiry (NX); an existing one only ever a later one (GT)
      p.pexpire(t, ms, 'NX').pexpire(t, ms, 'GT');
    }
    return p.exec().then(
      () => {
        this.metrics.count('writes');
        this.l1.set(id, answerBytes(json), [...tags], expiresAt);
      },
      (e) => this.failed(scope?.attempt, 'set', e),
    );
  }

  /** Drops every cached response tagged with any of these (entities from envelop, or our tags). */
  async invalidate(entities: Iterable<CacheEntityRecord>): Promise<void> {
    const tags: string[] = [];
    for (const e of entities) tags.push(entityTag(e.typename, e.id));
    await this.invalidateTags(tags);
  }

  override async close(): Promise<void> {
    this.subscriber?.close();
    await super.close();
  }

  private failed(attempt: CacheAttempt | undefined, what: string, e: unknown) {
    if (attempt) attempt.failed = true;
    // Redis is not answering this process: nor may its memory be trusted until the heartbeat says so
    this.subscriber?.suspend();
    this.fail(what, e);
  }
}
