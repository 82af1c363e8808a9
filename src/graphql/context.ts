import type { Queue } from 'bullmq';
import type { RedisPubSub } from 'graphql-redis-subscriptions';
import type { CacheAttempt, RedisResponseCache } from '../cache/store.js';
import type { Redis } from 'ioredis';
import type { ProgressPublisher } from '../realtime/publisher.js';
import type { Config } from '../config/env.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import type { LoginLimiter } from '../modules/auth/login-limit.js';
import type { PasswordHasher } from '../modules/auth/password.js';
import type { SessionStore } from '../modules/auth/sessions.js';
import { churchScope, dataScope, type AuthState } from '../modules/auth/viewer.js';
import { createLoaders, type Loaders } from '../modules/loaders.js';

export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
  redis: Redis;
  sessions: SessionStore;
  limiter: LoginLimiter;
  hasher: PasswordHasher;
  /** producer side of the SMS queue */
  smsQueue: Queue;
  progress: ProgressPublisher;
  /** subscriptions: Redis pub/sub shared by every API process */
  pubsub: RedisPubSub;
  /** the response cache (null when CACHE_ENABLED=false) */
  cache: RedisResponseCache | null;
}

/** What resolvers may do to the HTTP exchange (set or clear the session cookie). */
export interface HttpExchange {
  ip: string;
  setSessionCookie(id: string): void;
  clearSessionCookie(): void;
  /** the response cache's attempt for this request, when the cache fast path made one */
  cacheAttempt?: CacheAttempt;
}

export interface Context extends AppDeps {
  auth: AuthState;
  http: HttpExchange;
  loaders: Loaders;
  requestId: string;
}

export function createContext(deps: AppDeps, auth: AuthState, http: HttpExchange, requestId: string): Context {
  return {
    ...deps,
    auth,
    http,
    loaders: createLoaders(deps.db, { churches: churchScope(auth.viewer), data: dataScope(auth.viewer) }),
    requestId,
    log: deps.log.child({ requestId, userId: auth.viewer?.userId }),
  };
}
