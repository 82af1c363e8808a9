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
  /** live events from a service (the inbox): JSON on a prefixed channel */
  publish<T>(topic: string, payload: T): Promise<void>;
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

/**
 * One viewer's scope over the shared dependencies (a request, a socket operation, a CLI run). The
 * loaders and the request's child logger are made on first use: many requests need neither.
 */
class ViewerScope implements Scope {
  readonly smsQueue: Queue;
  readonly cache: RedisResponseCache | null;
  readonly progress: ProgressPublisher;
  readonly pubsub: Subscriptions;
  readonly sessions: SessionStore;
  readonly limiter: LoginLimiter;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly db: Db;
  readonly config: Config;
  private loaders_: Loaders | undefined;
  private log_: Logger | undefined;
  private ip_: string | (() => string);

  constructor(
    private readonly deps: ScopeDeps,
    readonly auth: AuthState,
    ip: string | (() => string),
    private readonly logBindings: Record<string, unknown> | undefined,
    db: Db | undefined,
  ) {
    this.smsQueue = deps.smsQueue;
    this.cache = deps.cache;
    this.progress = deps.progress;
    this.pubsub = deps.pubsub;
    this.sessions = deps.sessions;
    this.limiter = deps.limiter;
    this.hasher = deps.hasher;
    this.clock = deps.clock;
    this.db = db ?? deps.db;
    this.config = deps.config;
    this.ip_ = ip;
  }

  /** the address, worked out when first asked (most requests never ask: an HTTP request's is a lookup) */
  get ip(): string {
    if (typeof this.ip_ === 'function') this.ip_ = this.ip_();
    return this.ip_;
  }

  get loaders(): Loaders {
    return (this.loaders_ ??= createLoaders(this.db, { churches: churchScope(this.auth.viewer), data: dataScope(this.auth.viewer) }));
  }

  get log(): Logger {
    return (this.log_ ??= this.logBindings ? this.deps.log.child(this.logBindings) : this.deps.log);
  }
}

/**
 * One viewer's scope; `logBindings` name the request in every line its logger writes; `db`, when
 * given, replaces the primary (a read-only operation routed to the replica: src/db/replica.ts).
 */
export function createScope(deps: ScopeDeps, auth: AuthState, ip: string | (() => string), logBindings?: Record<string, unknown>, db?: Db): Scope {
  return new ViewerScope(deps, auth, ip, logBindings, db);
}
