import type { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';
import type { CacheDecision } from '../cache/store.js';
import type { Db } from '../db/client.js';
import type { ReadRouter } from '../db/replica.js';
import type { AuthState } from '../modules/viewer.js';
import { createScope, type Scope, type ScopeDeps } from '../modules/scope.js';

/** What the API process holds for its whole life: the ports of a Scope plus the raw clients. */
export interface AppDeps extends ScopeDeps {
  redis: Redis;
  /** subscriptions: Redis pub/sub shared by every API process */
  pubsub: RedisPubSub;
  /** read routing to a replica (DATABASE_REPLICA_URL); null without one */
  router?: ReadRouter | null;
}

/** What resolvers may do to the HTTP exchange (set or clear the session cookie). */
export interface HttpExchange {
  /** the caller's address (a getter: worked out when asked) */
  readonly ip: string;
  setSessionCookie(id: string): void;
  clearSessionCookie(): void;
  /** a cacheable request the cache door looked up and missed: execution writes the answer there */
  cache?: CacheDecision;
}

/**
 * A GraphQL request's context: the viewer's Scope (what services are called with; resolvers pass
 * it as is) plus the HTTP exchange and the request id. Services never see the exchange.
 */
export interface Context extends Scope {
  http: HttpExchange;
  requestId: string;
  redis: Redis;
}

export function createContext(deps: AppDeps, auth: AuthState, http: HttpExchange, requestId: string, db?: Db): Context {
  const scope = createScope(deps, auth, () => http.ip, { requestId, userId: auth.viewer?.userId }, db);
  return Object.assign(scope, { http, requestId, redis: deps.redis });
}
