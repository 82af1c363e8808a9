import 'reflect-metadata';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { Redis } from 'ioredis';
import net, { type AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../src/config/env.js';
import { startReadRouter } from '../../src/db/replica.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import type { ChurchRole } from '../../src/db/schema/index.js';
import type { AppDeps } from '../../src/graphql/context.js';
import { createApp, type AppHandle } from '../../src/http/app.js';
import { buildDeps } from '../../src/http/deps.js';
import { createLogger } from '../../src/lib/logger.js';
import { observe } from '../../src/observability/metrics.js';
import { ensureUser } from '../../src/modules/auth/bootstrap.js';
import { createTestDatabase } from './db.js';
import { deleteKeys } from './redis.js';

/** Tests use their own Redis database and a key prefix per server; keys are deleted on close. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
export const TESTER_EMAIL = 'tester@steeple.test';
export const TEST_PASSWORD = 'correct horse battery staple';

export interface GqlResult<T> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string; field?: string } }>;
}

type Doc<T, V> = string | DocumentNode | TypedDocumentNode<T, V>;

export interface TestServer {
  url: string;
  config: Config;
  database: Database;
  redis: Redis;
  deps: AppDeps;
  handle: AppHandle;
  /** Headers of the default caller: a platform admin who is OWNER of every church `grantAll` saw. */
  adminHeaders: Record<string, string>;
  gql<T = any, V = Record<string, unknown>>(doc: Doc<T, V>, variables?: V, headers?: Record<string, string>): Promise<GqlResult<T>>;
  /** Makes the default caller OWNER of every church that exists now. */
  grantAll(): Promise<void>;
  /** A user with the given roles (by church id); returns its id and the headers of a signed-in session. */
  userWith(email: string, roles: Array<[churchId: number, role: ChurchRole]>, opts?: { platformAdmin?: boolean }): Promise<{ id: number; headers: Record<string, string> }>;
  /** Signs in through the API and returns the session cookie header. */
  login(email: string, password?: string, headers?: Record<string, string>): Promise<{ cookie: string | null; result: GqlResult<any> }>;
  close(): Promise<void>;
}

/** The session cookie a browser would keep: the last Set-Cookie of that name wins. */
export function sessionCookieOf(res: { headers: Headers }, name: string): string | null {
  let found: string | null = null;
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [k, v] = pair!.split('=');
    if (k === name) found = v ? `${k}=${v}` : null;
  }
  return found;
}

/** The real app on a random port, against a database and Redis key space of its own. */
/** A port nothing listens on now (the server needs it before listening: PUBLIC_URL). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface TestServerOptions {
  /** where the server's pino lines go (a test reads them); LOG_LEVEL still decides which */
  logDestination?: { write(line: string): void };
  /** the URL the server's pool uses, from the test database's own (e.g. through a PgBouncer) */
  poolUrl?: (databaseUrl: string) => string;
  /** a database of the test's own (already migrated) instead of a fresh one on the local server */
  database?: { url: string; drop(): Promise<void> };
}

export async function startTestServer(tag: string, env: Record<string, string> = {}, opts: TestServerOptions = {}): Promise<TestServer> {
  const testDb = opts.database ?? (await createTestDatabase(tag));
  const listenPort = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: String(listenPort),
    PUBLIC_URL: `http://127.0.0.1:${listenPort}`,
    HOST: '127.0.0.1',
    DATABASE_URL: testDb.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `test:${process.pid}:${tag}:`,
    // cheap hashing: tests measure behaviour, not password-cracking cost
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    // every test signs in from 127.0.0.1: the per-IP limit is tested on a server of its own
    LOGIN_IP_MAX_ATTEMPTS: '100000',
    ...env,
  });
  const log = createLogger(config.log.level, {}, opts.logDestination);
  const database = createDatabase(opts.poolUrl?.(testDb.url) ?? testDb.url, config.db.pool, log);
  const redis = new Redis(config.redis.url!, { keyPrefix: config.redis.keyPrefix, maxRetriesPerRequest: 1 });
  // a test may stop this Redis on purpose: its failed commands say so, the reconnects need no stack on stderr
  redis.on('error', () => {});
  const deps = buildDeps(config, database.db, redis, log, config.redis.url!);
  const reads = await startReadRouter(config, database, redis, log);
  deps.router = reads?.router ?? null;
  const unobserve = observe({ gate: database.gate, queue: deps.smsQueue });
  const handle = await createApp(deps, [() => database.sql`SELECT 1`, () => redis.ping()]);
  await new Promise<void>((r) => handle.httpServer.listen(listenPort, '127.0.0.1', r));
  const { port } = handle.httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const gql: TestServer['gql'] = async (doc, variables, headers) => {
    const query = typeof doc === 'string' ? doc : print(doc);
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(headers ?? server.adminHeaders) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as Omit<GqlResult<never>, 'status' | 'headers'>;
    return { status: res.status, headers: res.headers, ...body } as GqlResult<never>;
  };

  const login: TestServer['login'] = async (email, password = TEST_PASSWORD, headers = {}) => {
    const result = await gql('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', { e: email, p: password }, headers);
    return { cookie: sessionCookieOf(result, config.auth.cookieName), result };
  };

  // the default caller signs in with a real session (no token: no SQL per request for auth)
  const tester = await ensureUser(database.db, deps.hasher, { email: TESTER_EMAIL, name: 'Test Admin', password: TEST_PASSWORD, platformAdmin: true });

  const server: TestServer = {
    url,
    config,
    database,
    redis,
    deps,
    handle,
    adminHeaders: {},
    gql,
    login,
    async grantAll() {
      await database.sql`
        INSERT INTO church_roles (user_id, church_id, role)
        SELECT ${tester.id}, id, 'owner' FROM churches ON CONFLICT DO NOTHING`;
      // roles live in the session: sign in again to carry the new ones
      const { cookie } = await login(TESTER_EMAIL);
      server.adminHeaders = { cookie: cookie! };
    },
    async userWith(email, roles, opts = {}) {
      const u = await ensureUser(database.db, deps.hasher, { email, name: email, password: TEST_PASSWORD, platformAdmin: opts.platformAdmin });
      for (const [churchId, role] of roles) {
        await database.sql`
          INSERT INTO church_roles (user_id, church_id, role) VALUES (${u.id}, ${churchId}, ${role})
          ON CONFLICT (user_id, church_id) DO UPDATE SET role = EXCLUDED.role`;
      }
      const { cookie, result } = await login(email);
      if (!cookie) throw new Error(`could not sign in ${email}: ${JSON.stringify(result.errors)}`);
      return { id: u.id, headers: { cookie } };
    },
    async close() {
      await handle.apollo.stop();
      unobserve();
      await deps.close();
      await reads?.close();
      await database.close();
      await deleteKeys(config.redis.url!, config.redis.keyPrefix);
      redis.disconnect();
      await testDb.drop();
    },
  };
  await server.grantAll();
  return server;
}
