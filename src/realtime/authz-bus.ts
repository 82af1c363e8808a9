import type { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Logger } from '../lib/logger.js';
import type { AuthzBus } from '../modules/auth/sessions.js';
import { authzTopic, type AuthzChangedEvent } from './topics.js';

/**
 * "This user's authorization changed" over Redis pub/sub: one channel per deployment, heard by
 * every API process (each re-authenticates the open sockets of that user). Delivery is best effort;
 * the sockets' periodic recheck covers a lost message.
 */
export function redisAuthzBus(pubsub: RedisPubSub, channels: string, log: Logger): AuthzBus {
  const topic = authzTopic(channels);
  return {
    async publish(userId) {
      await pubsub.publish<AuthzChangedEvent>(topic, { userId });
    },
    async subscribe(handler) {
      const id = await pubsub.subscribe<AuthzChangedEvent>(topic, (e) => {
        if (Number.isSafeInteger(e?.userId)) handler(e.userId);
        else log.warn({ topic }, 'ignored a malformed authz event');
      });
      return () => pubsub.unsubscribe(id);
    },
  };
}
