import { Redis } from 'ioredis';
import type { Config } from '../../config/env.js';
import type { Logger } from '../../lib/logger.js';
import { bootstrapRedis } from '../../redis/bootstrap.js';
import { authzTopic, channelPrefix, type AuthzChangedEvent } from '../../realtime/topics.js';
import { SessionStore } from './sessions.js';

/**
 * For the CLIs, which change roles without an API process: ends the users' sessions exactly as
 * the API does (the authz version in Redis) and tells every running API process, whose open
 * sockets of those users then authenticate again. Sessions carry roles, so without this a role
 * lowered by `user:create --role` would stay in force until the user signed out.
 */
export async function endSessionsOf(config: Config, log: Logger, userIds: number[]): Promise<void> {
  const endpoint = await bootstrapRedis(config, log);
  const redis = new Redis(endpoint.url, { keyPrefix: config.redis.keyPrefix, maxRetriesPerRequest: 2 });
  try {
    const sessions = new SessionStore(redis, config.auth.sessionTtlS);
    const channel = authzTopic(channelPrefix(config.redis.keyPrefix, endpoint.url));
    for (const userId of userIds) {
      await sessions.revokeUser(userId);
      // a channel is not a key: ioredis' keyPrefix leaves it alone
      await redis.publish(channel, JSON.stringify({ userId } satisfies AuthzChangedEvent));
    }
  } finally {
    redis.disconnect();
    await endpoint.stop();
  }
}
