import { z } from 'zod';
import { DotEnvError, loadDotEnv } from './dotenv.js';
import { parseTrustProxy, trustProxyProblems, type TrustProxy } from './trust-proxy.js';
import { originProblems, parseOrigins } from './origins.js';

/**
 * The only reader of process.env. Every variable is parsed once, at start, and every problem is
 * reported together so a misconfigured deployment fails with one complete message.
 * Each variable is documented in .env.example and the README's configuration table.
 */

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? def : ['true', '1', 'yes'].includes(v)));

const int = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).optional().default(def);

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).optional().default('development'),
  HOST: z.string().optional().default('0.0.0.0'),
  TRUST_PROXY: z
    .string()
    .optional()
    .default('loopback')
    .superRefine((v, ctx) => {
      for (const message of trustProxyProblems(v)) ctx.addIssue({ code: 'custom', message });
    })
    .transform(parseTrustProxy),
  PORT: int(4000, 0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),

  DATABASE_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  EMBEDDED_PG_DIR: z.string().optional().default('./.data/postgres'),
  EMBEDDED_PG_PORT: int(54329, 1, 65535),
  DB_POOL_MAX: int(10, 1, 500),
  DB_PIPELINE: int(1, 1, 64),
  DB_IDLE_TIMEOUT_S: int(30, 0, 86_400),
  DB_CONNECT_TIMEOUT_S: int(10, 1, 300),
  DB_MAX_LIFETIME_S: int(1800, 0, 86_400),
  DB_STATEMENT_TIMEOUT_MS: int(5000, 0, 3_600_000),
  DB_ACQUIRE_TIMEOUT_MS: int(2000, 1, 600_000),
  DB_SLOW_QUERY_MS: int(200, 0, 600_000),
  DATABASE_POOLER: z.enum(['none', 'pgbouncer']).optional().default('none'),
  DATABASE_DIRECT_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATABASE_REPLICA_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DB_REPLICA_MAX_LAG_MS: int(2000, 1, 3_600_000),
  DB_REPLICA_POLL_MS: int(200, 10, 60_000),

  REDIS_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^rediss?$/ }).optional()),
  EMBEDDED_REDIS_DIR: z.string().optional().default('./.data/redis'),
  EMBEDDED_REDIS_PORT: int(6479, 1, 65535),
  REDIS_KEY_PREFIX: z.string().optional().default('steeple:'),
  REDIS_TIMEOUT_MS: int(500, 10, 60_000),

  METRICS_PORT: int(9464, 0, 65535),
  METRICS_HOST: z.string().optional().default('127.0.0.1'),
  METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),

  PHONE_DEFAULT_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166 region code such as US or GB')
    .optional()
    .default('US'),
  // default: on in development, off in production (demo accounts have a known password)
  SEED_DEMO: z.preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional()),
  SANDBOX: z.preprocess(emptyToUndefined, bool(true)),
  SHUTDOWN_GRACE_MS: int(10_000, 0, 600_000),
  SHUTDOWN_DELAY_MS: int(0, 0, 60_000),

  SESSION_TTL_S: int(7 * 86_400, 60, 90 * 86_400),
  SESSION_CACHE_MS: int(10_000, 0, 60_000),
  COOKIE_SECURE: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).optional()),
  LOGIN_MAX_FAILURES: int(10, 1, 1000),
  LOGIN_IP_MAX_ATTEMPTS: int(100, 1, 100_000),
  LOGIN_WINDOW_S: int(900, 1, 86_400),
  ARGON2_MEMORY_KIB: int(19_456, 1024, 4_194_304),
  ARGON2_TIME_COST: int(2, 1, 20),
  DEMO_PASSWORD: z.string().min(8).optional().default('steeple-demo-2026'),

  GRAPHQL_MAX_DEPTH: int(12, 2, 100),
  GRAPHQL_MAX_ALIASES: int(30, 0, 10_000),
  GRAPHQL_MAX_TOKENS: int(5000, 100, 1_000_000),
  GRAPHQL_MAX_COST: int(50_000, 10, 100_000_000),
  GRAPHQL_ANON_INTROSPECTION: int(1, 0, 100),

  PUBLIC_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  // browser origins allowed to call /graphql over CORS and to open WebSockets; unset: none in
  // production, the reference app's Vite dev server (DEV_APP_ORIGIN) in development
  CORS_ORIGINS: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      for (const message of originProblems(v ?? '')) ctx.addIssue({ code: 'custom', message });
    })
    .transform((v) => (v === undefined ? undefined : parseOrigins(v))),
  CORS_MAX_AGE_S: int(600, 0, 86_400),
  // persisted documents: apq (Apollo's automatic persisted queries plus the app's manifest), only
  // (the manifest is an allow-list: nothing else runs), off (full text only)
  TRUSTED_DOCUMENTS: z.enum(['apq', 'only', 'off']).optional().default('apq'),
  TRUSTED_DOCUMENTS_MANIFEST: z.string().optional().default('web/src/gql/persisted-documents.json'),
  // the reference app (web/dist) at /app; default: on outside production
  WEB_APP: z.preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional()),
  WS_AUTH_RECHECK_S: int(30, 1, 3600),
  SMS_PROVIDER: z.enum(['log', 'twilio']).optional().default('log'),
  TWILIO_ACCOUNT_SID: z.preprocess(emptyToUndefined, z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits').optional()),
  TWILIO_AUTH_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16).optional()),
  TWILIO_API_URL: z.url({ protocol: /^https?$/ }).optional().default('https://api.twilio.com'),
  SMS_WINDOW_START: z.string().regex(/^\d{2}:\d{2}$/).optional().default('09:00'),
  SMS_WINDOW_END: z.string().regex(/^\d{2}:\d{2}$/).optional().default('20:00'),
  SMS_PRICE_PER_SEGMENT: z.coerce.number().min(0).max(10).optional().default(0.0083),
  SMS_MAX_RECIPIENTS: int(50_000, 1, 1_000_000),
  SMS_WORKER_CONCURRENCY: int(50, 1, 1000),
  SMS_RATE_LIMIT_PER_S: int(500, 1, 100_000),
  SMS_SEND_TIMEOUT_MS: int(10_000, 100, 120_000),
  SMS_LEASE_S: int(30, 1, 3600),
  SMS_SWEEP_INTERVAL_S: int(15, 1, 3600),
  // message_recipients' monthly partitions (src/db/partitions.ts)
  RECIPIENT_PARTITIONS_AHEAD: int(3, 1, 24),
  RECIPIENT_RETENTION_MONTHS: int(24, 0, 1200),
  RECIPIENT_DETACHED: z.enum(['archive', 'drop']).optional().default('archive'),
  PARTITION_MAINTENANCE_INTERVAL_S: int(3600, 10, 7 * 86_400),
  // audit_log rows older than this are pruned by the same maintenance pass (worker/partitions.ts); 0 keeps all
  AUDIT_RETENTION_DAYS: int(730, 0, 36_500),
  // texts SENT whose status callbacks never came: asked about at the provider (worker/reconciler.ts)
  SMS_RECONCILE_AFTER_S: int(600, 1, 7 * 86_400),
  SMS_UNCONFIRMED_AFTER_S: int(72 * 3600, 2, 30 * 86_400),
  SMS_RECONCILE_INTERVAL_S: int(30, 1, 3600),
  SMS_RECONCILE_BATCH: int(100, 1, 10_000),
  SMS_RECONCILE_RATE_PER_S: int(10, 1, 1000),
  SMS_RECONCILE_MAX_BACKOFF_S: int(6 * 3600, 1, 7 * 86_400),
  WORKER: bool(true),
  // email (src/modules/message/email.service.ts, worker/email): unset SMTP_URL: the log transport
  SMTP_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^smtps?$/ }).optional()),
  EMAIL_FROM: z.preprocess(emptyToUndefined, z.email().optional().default('no-reply@steeple.localhost')),
  EMAIL_UNSUBSCRIBE_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  EMAIL_WEBHOOK_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),

  // POST /import/members.csv (src/http/import.ts): the largest file, most data rows, and the
  // statement timeout of its one transaction (the default DB_STATEMENT_TIMEOUT_MS is for requests)
  IMPORT_MAX_BYTES: int(32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  IMPORT_MAX_ROWS: int(50_000, 1, 1_000_000),
  IMPORT_STATEMENT_TIMEOUT_MS: int(120_000, 1000, 3_600_000),

  CACHE_ENABLED: bool(true),
  REDIS_CACHE_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^rediss?$/ }).optional()),
  CACHE_TIMEOUT_MS: int(150, 5, 10_000),
  // the in-process tier of the response cache, per API process (0: none)
  CACHE_L1_MAX_BYTES: int(16 * 1024 * 1024, 0, 1024 * 1024 * 1024),

  // unset: one API process per core (main.ts; `--workers N` overrides)
  API_WORKERS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(256).optional()),
}).superRefine((e, ctx) => {
  if (e.SMS_PROVIDER === 'twilio') {
    for (const key of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'PUBLIC_URL'] as const) {
      if (!e[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when SMS_PROVIDER=twilio' });
    }
  }
  if (e.SMS_WINDOW_START >= e.SMS_WINDOW_END) {
    ctx.addIssue({ code: 'custom', path: ['SMS_WINDOW_START'], message: 'must be before SMS_WINDOW_END' });
  }
  if (e.SMS_UNCONFIRMED_AFTER_S <= e.SMS_RECONCILE_AFTER_S) {
    ctx.addIssue({ code: 'custom', path: ['SMS_UNCONFIRMED_AFTER_S'], message: 'must be more than SMS_RECONCILE_AFTER_S' });
  }
  // production links must not be forgeable with the development secret anyone can read
  if (e.NODE_ENV === 'production' && e.SMTP_URL && !e.EMAIL_UNSUBSCRIBE_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['EMAIL_UNSUBSCRIBE_SECRET'], message: 'is required when SMTP_URL is set in production' });
  }
  // the lease must outlast one provider call, or a slow send could be taken over and sent twice
  if (e.SMS_LEASE_S * 1000 <= e.SMS_SEND_TIMEOUT_MS * 2) {
    ctx.addIssue({ code: 'custom', path: ['SMS_LEASE_S'], message: 'must be more than twice SMS_SEND_TIMEOUT_MS' });
  }
});

export type Env = z.output<typeof schema>;

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  http: {
    host: string;
    port: number;
    sandbox: boolean;
    shutdownGraceMs: number;
    /** on SIGTERM: unready (503 on /readyz) but still serving this long, so a load balancer stops sending first */
    drainDelayMs: number;
    trustProxy: TrustProxy;
    /** CORS_ORIGINS; outside production the API's own origin is allowed as well (src/http/origin.ts) */
    corsOrigins: string[];
    /** Access-Control-Max-Age of a preflight answer */
    corsMaxAgeS: number;
    /** serve the reference app (web/dist) at /app */
    webApp: boolean;
    /** open WebSockets re-authenticate at least this often (besides at once on a change) */
    wsAuthRecheckS: number;
  };
  log: { level: Env['LOG_LEVEL'] };
  db: {
    url: string | undefined;
    /** migrations and their session lock go here (the server itself, not a pooler); unset: url */
    directUrl: string | undefined;
    /** a streaming replica for directory, search and analytics reads (src/db/replica.ts); unset: none */
    replica: { url: string; maxLagMs: number; pollMs: number } | null;
    /** message_recipients' monthly partitions: made `ahead` months ahead; detached after `retentionMonths` (0: never) */
    partitions: PartitionSettings;
    embedded: { dir: string; port: number };
    pool: {
      /** pgbouncer (transaction mode): no named prepared statements, no session settings at connect */
      pooler: 'none' | 'pgbouncer';
      max: number;
      /** statements in flight per connection (pipelined); 1 behind PgBouncer */
      pipeline: number;
      idleTimeoutS: number;
      connectTimeoutS: number;
      maxLifetimeS: number;
      statementTimeoutMs: number;
      acquireTimeoutMs: number;
      slowQueryMs: number;
    };
  };
  /** timeoutMs: how long a request waits for Redis (sessions, limits) before it answers 503 */
  redis: { url: string | undefined; embedded: { dir: string; port: number }; keyPrefix: string; timeoutMs: number };
  /** the /metrics listener (port 0: none) and the bearer token that opens /metrics anywhere */
  metrics: { host: string; port: number; token: string | undefined };
  phone: { defaultRegion: string };
  seedDemo: boolean;
  auth: {
    sessionTtlS: number;
    /** how long a process answers a checked session from memory (0: Redis on every request); at most a quarter of the lifetime */
    sessionCacheMs: number;
    cookieName: string;
    cookieSecure: boolean;
    loginMaxFailures: number;
    loginIpMaxAttempts: number;
    loginWindowS: number;
    argon2: { memoryKib: number; timeCost: number };
    demoPassword: string;
  };
  /** anonIntrospection: how many __schema/__type selections an anonymous operation may make */
  graphql: { maxDepth: number; maxAliases: number; maxTokens: number; maxCost: number; anonIntrospection: number };
  /** where Twilio reaches this API (status callbacks; signature checks) */
  publicUrl: string;
  sms: {
    provider: 'log' | 'twilio';
    /** simulateInboundText (a development inbox without Twilio): only under SMS_PROVIDER=log, never in production */
    simulateInbound: boolean;
    twilio: { accountSid: string; authToken: string; apiUrl: string } | null;
    window: { start: string; end: string };
    pricePerSegment: number;
    maxRecipients: number;
    concurrency: number;
    ratePerSecond: number;
    sendTimeoutMs: number;
    leaseS: number;
    sweepIntervalS: number;
    reconcile: { afterS: number; unconfirmedAfterS: number; intervalS: number; batch: number; ratePerS: number; maxBackoffS: number };
  };
  email: {
    /** nodemailer's SMTP transport URL (smtp[s]://user:pass@host:port?pool=true…); undefined: the log transport */
    smtpUrl: string | undefined;
    /** the From address (the church's name is its display name) */
    from: string;
    /** HMAC key of the unsubscribe links (src/email/unsubscribe-token.ts) */
    unsubscribeSecret: string;
    /** bearer secret of POST /webhooks/email/events; undefined: the webhook answers 404 */
    webhookSecret: string | undefined;
  };
  /** npm start also runs the SMS worker process */
  runWorker: boolean;
  /** API processes npm start runs (API_WORKERS); undefined: one per core */
  apiWorkers: number | undefined;
  cache: { enabled: boolean; url: string | undefined; timeoutMs: number; l1MaxBytes: number };
  /** the CSV import (POST /import/members.csv) */
  import: { maxBytes: number; maxRows: number; statementTimeoutMs: number };
  /** persisted documents (src/graphql/trusted-documents.ts); manifest: a path from the project root */
  trustedDocuments: { mode: 'apq' | 'only' | 'off'; manifest: string };
}

export interface PartitionSettings {
  ahead: number;
  retentionMonths: number;
  /** what becomes of a detached month: a table in the `archive` schema, or dropped */
  detached: 'archive' | 'drop';
  intervalS: number;
  /** audit_log rows older than this many days are pruned in the same pass (0: kept forever) */
  auditRetentionDays?: number;
}

/** EMAIL_UNSUBSCRIBE_SECRET when unset (refused in production with SMTP_URL): development only. */
export const DEV_UNSUBSCRIBE_SECRET = 'steeple-development-unsubscribe-secret';

/** The reference app's Vite dev server (web/vite.config.ts): CORS_ORIGINS' default in development. */
export const DEV_APP_ORIGIN = 'http://localhost:5173';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Without a source: the process environment, after loading the `.env` beside package.json into it
 * (the real environment wins; see dotenv.ts). Tests pass a source and read no file.
 */
export function loadConfig(source?: Record<string, string | undefined>): Config {
  if (source === undefined) {
    try {
      loadDotEnv();
    } catch (e) {
      if (e instanceof DotEnvError) throw new ConfigError(e.problems.map((p) => `${e.file} ${p}`));
      throw e;
    }
  }
  const parsed = schema.safeParse(source ?? process.env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  return {
    env: e.NODE_ENV,
    isProduction,
    // The sandbox is a development tool: always off in production, whatever SANDBOX says.
    http: {
      host: e.HOST,
      port: e.PORT,
      sandbox: !isProduction && e.SANDBOX,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      drainDelayMs: e.SHUTDOWN_DELAY_MS,
      trustProxy: e.TRUST_PROXY,
      corsOrigins: e.CORS_ORIGINS ?? (e.NODE_ENV === 'development' ? [DEV_APP_ORIGIN] : []),
      corsMaxAgeS: e.CORS_MAX_AGE_S,
      webApp: e.WEB_APP === undefined ? !isProduction : ['true', '1', 'yes'].includes(e.WEB_APP),
      wsAuthRecheckS: e.WS_AUTH_RECHECK_S,
    },
    log: { level: e.LOG_LEVEL },
    db: {
      url: e.DATABASE_URL,
      directUrl: e.DATABASE_DIRECT_URL,
      replica: e.DATABASE_REPLICA_URL ? { url: e.DATABASE_REPLICA_URL, maxLagMs: e.DB_REPLICA_MAX_LAG_MS, pollMs: e.DB_REPLICA_POLL_MS } : null,
      partitions: {
        ahead: e.RECIPIENT_PARTITIONS_AHEAD,
        retentionMonths: e.RECIPIENT_RETENTION_MONTHS,
        detached: e.RECIPIENT_DETACHED,
        intervalS: e.PARTITION_MAINTENANCE_INTERVAL_S,
        auditRetentionDays: e.AUDIT_RETENTION_DAYS,
      },
      embedded: { dir: e.EMBEDDED_PG_DIR, port: e.EMBEDDED_PG_PORT },
      pool: {
        pooler: e.DATABASE_POOLER,
        max: e.DB_POOL_MAX,
        // PgBouncer 1.18 in transaction mode is not trusted with pipelined statements
        pipeline: e.DATABASE_POOLER === 'pgbouncer' ? 1 : e.DB_PIPELINE,
        idleTimeoutS: e.DB_IDLE_TIMEOUT_S,
        connectTimeoutS: e.DB_CONNECT_TIMEOUT_S,
        maxLifetimeS: e.DB_MAX_LIFETIME_S,
        statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
        acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS,
        slowQueryMs: e.DB_SLOW_QUERY_MS,
      },
    },
    redis: {
      url: e.REDIS_URL,
      embedded: { dir: e.EMBEDDED_REDIS_DIR, port: e.EMBEDDED_REDIS_PORT },
      keyPrefix: e.REDIS_KEY_PREFIX,
      timeoutMs: e.REDIS_TIMEOUT_MS,
    },
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT, token: e.METRICS_TOKEN },
    phone: { defaultRegion: e.PHONE_DEFAULT_REGION },
    seedDemo: e.SEED_DEMO === undefined ? !isProduction : ['true', '1', 'yes'].includes(e.SEED_DEMO),
    auth: {
      sessionTtlS: e.SESSION_TTL_S,
      sessionCacheMs: Math.min(e.SESSION_CACHE_MS, Math.floor((e.SESSION_TTL_S * 1000) / 4)),
      cookieSecure: e.COOKIE_SECURE === undefined ? isProduction : e.COOKIE_SECURE === 'true',
      // __Host- binds the cookie to this exact host over HTTPS; only valid with Secure
      cookieName: (e.COOKIE_SECURE === undefined ? isProduction : e.COOKIE_SECURE === 'true') ? '__Host-steeple_session' : 'steeple_session',
      loginMaxFailures: e.LOGIN_MAX_FAILURES,
      loginIpMaxAttempts: e.LOGIN_IP_MAX_ATTEMPTS,
      loginWindowS: e.LOGIN_WINDOW_S,
      argon2: { memoryKib: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST },
      demoPassword: e.DEMO_PASSWORD,
    },
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    sms: {
      provider: e.SMS_PROVIDER,
      simulateInbound: e.SMS_PROVIDER === 'log' && !isProduction,
      twilio:
        e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
          ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, apiUrl: e.TWILIO_API_URL.replace(/\/$/, '') }
          : null,
      window: { start: e.SMS_WINDOW_START, end: e.SMS_WINDOW_END },
      pricePerSegment: e.SMS_PRICE_PER_SEGMENT,
      maxRecipients: e.SMS_MAX_RECIPIENTS,
      concurrency: e.SMS_WORKER_CONCURRENCY,
      ratePerSecond: e.SMS_RATE_LIMIT_PER_S,
      sendTimeoutMs: e.SMS_SEND_TIMEOUT_MS,
      leaseS: e.SMS_LEASE_S,
      sweepIntervalS: e.SMS_SWEEP_INTERVAL_S,
      reconcile: {
        afterS: e.SMS_RECONCILE_AFTER_S,
        unconfirmedAfterS: e.SMS_UNCONFIRMED_AFTER_S,
        intervalS: e.SMS_RECONCILE_INTERVAL_S,
        batch: e.SMS_RECONCILE_BATCH,
        ratePerS: e.SMS_RECONCILE_RATE_PER_S,
        maxBackoffS: e.SMS_RECONCILE_MAX_BACKOFF_S,
      },
    },
    email: {
      smtpUrl: e.SMTP_URL,
      from: e.EMAIL_FROM,
      // outside production a fixed secret, so npm start's API processes and worker agree without setup
      unsubscribeSecret: e.EMAIL_UNSUBSCRIBE_SECRET ?? DEV_UNSUBSCRIBE_SECRET,
      webhookSecret: e.EMAIL_WEBHOOK_SECRET,
    },
    runWorker: e.WORKER,
    apiWorkers: e.API_WORKERS,
    cache: { enabled: e.CACHE_ENABLED, url: e.REDIS_CACHE_URL, timeoutMs: e.CACHE_TIMEOUT_MS, l1MaxBytes: e.CACHE_L1_MAX_BYTES },
    trustedDocuments: { mode: e.TRUSTED_DOCUMENTS, manifest: e.TRUSTED_DOCUMENTS_MANIFEST },
    import: { maxBytes: e.IMPORT_MAX_BYTES, maxRows: e.IMPORT_MAX_ROWS, statementTimeoutMs: e.IMPORT_STATEMENT_TIMEOUT_MS },
    graphql: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxCost: e.GRAPHQL_MAX_COST,
      anonIntrospection: e.GRAPHQL_ANON_INTROSPECTION,
    },
  };
}
