import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import type { Db } from '../db/client.js';
import type { AppDeps } from '../graphql/context.js';
import { sendSmsJob } from '../jobs/definitions/send-sms.js';
import { bullConnection, createQueue } from '../jobs/queues.js';
import type { Logger } from '../lib/logger.js';
import { LoginLimiter } from '../modules/auth/login-limit.js';
import { createPasswordHasher } from '../modules/auth/password.js';
import { SessionStore } from '../modules/auth/sessions.js';
import { SessionTier } from '../modules/auth/session-tier.js';
import { authzTopic, channelPrefix } from '../realtime/topics.js';
import { settleProgress } from '../modules/message/progress.js';
import { ProgressPublisher } from '../realtime/publisher.js';
import { redisAuthzBus } from '../realtime/authz-bus.js';
import { invalidateMessagingEvents } from '../cache/invalidate.js';
import { RedisResponseCache } from '../cache/store.js';
import { systemClock } from '../lib/clock.js';

export interface Deps extends AppDeps {
  close(): Promise<void>;
}

/**
 * Everything a request needs, built once per process (main.ts, tests, benchmarks). `redis` carries
 * sessions and limits (with the key prefix); the queue producer and pub/sub get connections of
 * their own (BullMQ and subscriber connections cannot share one, and carry their own prefixes).
 */
export function buildDeps(config: Config, db: Db, redis: Redis, log: Logger, redisUrl: string): Deps {
  const producer = bullConnection(redisUrl, 'producer');
  producer.on('error', (e) => log.warn({ err: e.message }, 'queue redis error'));
  const publisher = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const subscriber = new Redis(redisUrl);
  for (const c of [publisher, subscriber]) c.on('error', (e) => log.warn({ err: e.message }, 'pubsub redis error'));
  // graphql-redis-subscriptions fires unsubscribe without awaiting it; once the connection is
  // closed (shutdown) that promise would reject unhandled
  for (const m of ['unsubscribe', 'punsubscribe'] as const) {
    const original = subscriber[m].bind(subscriber) as (...a: unknown[]) => Promise<unknown>;
    (subscriber as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => original(...a).catch(() => 0);
  }
  // pub/sub channels are global to the Redis server: prefix and db number keep deployments apart
  const channels = channelPrefix(config.redis.keyPrefix, redisUrl);
  const progress = new ProgressPublisher((ids) => settleProgress(db, ids), publisher, channels, log);
  const pubsub = new RedisPubSub({ publisher, subscriber });
  const smsQueue = createQueue(sendSmsJob.queue, producer, config.redis.keyPrefix);
  // the cache may live in a Redis of its own (REDIS_CACHE_URL): it should evict, the queue must not
  const cache = config.cache.enabled
    ? new RedisResponseCache(config.cache.url ?? redisUrl, `${config.redis.keyPrefix}rc:`, log, config.cache.timeoutMs, config.cache.l1MaxBytes)
    : null;
  progress.onFlush.push((events) => invalidateMessagingEvents(cache, events));
  // sessions Redis vouched for, kept in memory and dropped on every authz announcement
  const sessionTier = config.auth.sessionCacheMs > 0
    ? new SessionTier({ url: redisUrl, channel: authzTopic(channels), recheckMs: config.auth.sessionCacheMs, timeoutMs: config.redis.timeoutMs, log })
    : null;
  smsQueue.on('error', (e) => log.warn({ err: e.message }, 'queue error'));
  return {
    config,
    db,
    log,
    redis,
    sessions: new SessionStore(redis, config.auth.sessionTtlS, redisAuthzBus(pubsub, channels, log), sessionTier),
    limiter: new LoginLimiter(redis, {
      maxFailures: config.auth.loginMaxFailures,
      ipMaxAttempts: config.auth.loginIpMaxAttempts,
      windowS: config.auth.loginWindowS,
    }),
    hasher: createPasswordHasher(config.auth.argon2),
    smsQueue,
    progress,
    pubsub,
    cache,
    clock: systemClock,
    async close() {
      await cache?.close();
      sessionTier?.close();
      await progress.close();
      await smsQueue.close();
      producer.disconnect();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
