import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { channelPrefix } from '../realtime/topics.js';
import { CacheMetrics } from './metrics.js';

/** The channel every process's in-memory tier listens on for invalidated tags ('*': everything). */
export const l1Channel = (prefix: string, url: string) => `${channelPrefix(prefix, url)}l1-invalidate`;

export const entityTag = (typename: string, id?: string | number) => (id === undefined ? `type:${typename}` : `e:${typename}:${id}`);

// Deletes the responses listed in each tag set, then the sets. Members are full key names.
const INVALIDATE = `
local n = 0
for _, tag in ipairs(KEYS) do
  local members = redis.call('SMEMBERS', tag)
  for i = 1, #members, 500 do
    n = n + redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
  end
  redis.call('DEL', tag)
end
return n`;

const MAX_PENDING_INVALIDATIONS = 10_000;

/**
 * The invalidation half of the response cache's Redis store: tag sets, the Lua that drops them,
 * and the replay of invalidations Redis missed. Split from store.ts (envelop's Cache, which
 * speaks GraphQL results) so the worker can drop cached answers without loading GraphQL types.
 * Fails open like the full store (RedisResponseCache extends this): invalidations that could not
 * reach Redis are kept and replayed when it answers again, so an outage cannot leave a stale answer.
 */
export class RedisTagStore {
  readonly redis: Redis;
  readonly metrics: CacheMetrics;
  private pending = new Set<string>();
  private flushAll = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** where invalidations are announced to the processes' in-memory tiers */
  protected readonly channel: string;

  constructor(
    readonly url: string,
    readonly prefix: string,
    protected readonly log: Logger,
    timeoutMs: number,
  ) {
    this.redis = new Redis(url, {
      keyPrefix: prefix,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: Math.max(timeoutMs, 1000),
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.redis.on('error', () => {}); // counted where it matters (each failed command)
    this.redis.on('ready', () => void this.replay());
    this.redis.defineCommand('invalidateTags', { lua: INVALIDATE });
    this.metrics = new CacheMetrics(this.redis, log);
    this.channel = l1Channel(prefix, url);
  }

  /** This process's in-memory copies of answers with these tags ('*': all) are dropped (store.ts). */
  protected dropLocal(_tags: readonly string[] | '*'): void {}

  async invalidateTags(tags: string[]): Promise<number> {
    if (!tags.length) return 0;
    this.dropLocal(tags);
    try {
      const n = (await (this.redis as unknown as { invalidateTags(n: number, ...k: string[]): Promise<number> }).invalidateTags(
        tags.length,
        ...tags.map((t) => `tag:${t}`),
      )) as number;
      this.metrics.count('invalidations', undefined, tags.length);
      // every process drops its in-memory copies (awaited: once this returns, they have been told)
      await this.redis.publish(this.channel, JSON.stringify(tags));
      return n;
    } catch (e) {
      this.fail('invalidate', e);
      for (const t of tags) this.pending.add(t);
      if (this.pending.size > MAX_PENDING_INVALIDATIONS) {
        this.pending.clear();
        this.flushAll = true;
      }
      this.scheduleReplay();
      return 0;
    }
  }

  /** Deletes every cached response (SCAN, never KEYS). */
  async clear(): Promise<number> {
    this.dropLocal('*');
    let n = 0;
    // SCAN patterns and returned names carry the prefix; DEL through a client without keyPrefix
    for await (const batch of this.redis.scanStream({ match: `${this.prefix}*`, count: 1000 })) {
      const keys = (batch as string[]).filter((k) => !k.startsWith(`${this.prefix}metrics:`));
      if (keys.length) n += await this.redis.unlink(...keys.map((k) => k.slice(this.prefix.length)));
    }
    await this.redis.publish(this.channel, '"*"');
    return n;
  }

  private scheduleReplay() {
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      void this.replay();
    }, 1000);
    this.retryTimer.unref();
  }

  private async replay(): Promise<void> {
    if (!this.pending.size && !this.flushAll) return;
    try {
      if (this.flushAll) {
        await this.clear();
        this.flushAll = false;
        this.pending.clear();
        return;
      }
      const tags = [...this.pending];
      this.pending.clear();
      await this.invalidateTags(tags);
    } catch (e) {
      this.fail('replay', e);
      this.scheduleReplay();
    }
  }

  protected fail(what: string, e: unknown) {
    this.metrics.count('errors');
    this.log.warn({ err: (e as Error).message, op: what }, 'response cache unavailable; serving uncached');
  }

  get pendingInvalidations(): number {
    return this.pending.size + (this.flushAll ? 1 : 0);
  }

  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    await this.metrics.flush();
    this.redis.disconnect();
  }
}
