import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import type { Db } from '../db/client.js';
import type { AppDeps } from '../graphql/context.js';
import type { Logger } from '../lib/logger.js';
import { LoginLimiter } from '../modules/auth/login-limit.js';
import { createPasswordHasher } from '../modules/auth/password.js';
import { SessionStore } from '../modules/auth/sessions.js';

/** Everything a request needs, built once per process (main.ts, tests, benchmarks). */
export function buildDeps(config: Config, db: Db, redis: Redis, log: Logger): AppDeps {
  return {
    config,
    db,
    log,
    redis,
    sessions: new SessionStore(redis, config.auth.sessionTtlS),
    limiter: new LoginLimiter(redis, {
      maxFailures: config.auth.loginMaxFailures,
      ipMaxAttempts: config.auth.loginIpMaxAttempts,
      windowS: config.auth.loginWindowS,
    }),
    hasher: createPasswordHasher(config.auth.argon2),
  };
}
