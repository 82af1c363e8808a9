import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';

export interface RequestRedisOptions {
  keyPrefix: string;
  /** REDIS_TIMEOUT_MS: the longest a request waits for one command */
  timeoutMs: number;
}

/**
 * The connection requests wait on (sessions, sign-in limits): a Redis that is down or hung must
 * cost a request at most `timeoutMs`, never the 10 s an offline queue and reconnect retries took.
 * - commandTimeout bounds every command, also against a Redis that accepts but never answers;
 * - no offline queue: while the connection is down a command fails at once instead of waiting;
 * - reconnects every 100 ms at most, so requests succeed again within about that of Redis
 *   returning;
 * - auto-pipelined: concurrent requests share writes and reads instead of one syscall pair each;
 * - one warning when the connection is lost and one line when it is back, not one per retry.
 */
export function createRequestRedis(url: string, opts: RequestRedisOptions, log: Logger): Redis {
  const redis = new Redis(url, {
    keyPrefix: opts.keyPrefix,
    commandTimeout: opts.timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(opts.timeoutMs, 1000),
    retryStrategy: (times) => Math.min(times * 20, 100),
    // the commands of concurrent requests issued in one tick (every request's session read) go out
    // in one write and come back in one read
    enableAutoPipelining: true,
  });
  let down = false;
  redis.on('error', (e: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: e.message }, 'redis unavailable; requests that need it answer 503 until it is back');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('redis available again');
  });
  return redis;
}

/** Resolves once the connection is ready (or after `ms`: requests then answer 503 until it is). */
export function redisReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
