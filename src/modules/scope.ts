import type { Queue } from 'bullmq';
import type { Config } from '../config/env.js';
import type { Db } from '../db/client.js';
import type { RedisResponseCache } from '../cache/store.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ProgressPublisher } from '../realtime/publisher.js';
import type { LoginLimiter } from './auth/login-limit.js';
import type { PasswordHasher } from './auth/password.js';
import type { SessionStore } from './auth/sessions.js';
import type { AuthState } from './viewer.js';
import { churchScope, dataScope } from './viewer.js';
import { createLoaders, type Loaders } from './loaders.js';

export type { Clock } from '../lib/clock.js';
export { systemClock } from '../lib/clock.js';

/** The subscription side of pub/sub: what a live query listens to (Redis, prefixed channels). */
export interface Subscriptions {
  asyncIterableIterator<T>(topic: string | readonly string[]): AsyncIterator<T> | AsyncIterableIterator<T>;
}

/** The ports a service may use: nothing of HTTP, GraphQL or a particular transport. */
export interface Ports {
  /** producer side of the SMS queue (the worker drains it) */
  smsQueue: Queue;
  /** the response cache, for invalidation after a commit and its operations; null when turned off */
  cache: RedisResponseCache | null;
  /** "this message changed": coalesced progress events for subscribers */
  progress: ProgressPublisher;
  /** pub/sub for live updates (subscriptions) */
  pubsub: Subscriptions;
  sessions: SessionStore;
  limiter: LoginLimiter;
  hasher: PasswordHasher;
  clock: Clock;
}

/**
 * What a domain service is called with: who is asking (auth), where they are (ip, for rate
 * limits), the database or a transaction, the per-request loaders scoped to the viewer's churches,
 * a logger, the configuration, and the ports. Every entry point builds one: the GraphQL context is
 * a Scope plus the HTTP exchange (src/graphql/context.ts), a subscription's socket builds one per
 * operation, the webhooks and the worker build theirs without a viewer (src/modules/system-scope.ts).
 */
export interface Scope extends Ports {
  auth: AuthState;
  /** the caller's address: rate limits and sign-in logs ('cli' for the command line) */
  ip: string;
  db: Db;
  loaders: Loaders;
  log: Logger;
  config: Config;
}

export interface ScopeDeps extends Ports {
  db: Db;
  log: Logger;
  config: Config;
}

/** One viewer's scope over the shared dependencies (a request, a socket operation, a CLI run). */
export function createScope(deps: ScopeDeps, auth: AuthState, ip: string, log: Logger = deps.log): Scope {
  return {
    smsQueue: deps.smsQueue,
    cache: deps.cache,
    progress: deps.progress,
    pubsub: deps.pubsub,
    sessions: deps.sessions,
    limiter: deps.limiter,
    hasher: deps.hasher,
    clock: deps.clock,
    db: deps.db,
    config: deps.config,
    auth,
    ip,
    log,
    loaders: createLoaders(deps.db, { churches: churchScope(auth.viewer), data: dataScope(auth.viewer) }),
  };
}
