import 'reflect-metadata';
// Profiling aid: the directory query against one in-process API (node --cpu-prof).
import autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/env.js';
import { createDatabase } from '../src/db/client.js';
import { createApp } from '../src/http/app.js';
import { buildDeps } from '../src/http/deps.js';
import { createLogger } from '../src/lib/logger.js';
import { QUERIES } from './harness.js';

const url = process.env.DATABASE_URL!;
const config = loadConfig({ NODE_ENV: 'production', COOKIE_SECURE: 'false', DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:6379/14', REDIS_KEY_PREFIX: 'bench:prof:', CACHE_ENABLED: process.env.CACHE ?? 'false', LOG_LEVEL: 'error' });
const log = createLogger('error');
const database = createDatabase(url, config.db.pool, log);
const redis = new Redis(config.redis.url!, { keyPrefix: config.redis.keyPrefix });
const deps = buildDeps(config, database.db, redis, log, config.redis.url!);
const handle = await createApp(deps);
await new Promise<void>((r) => handle.httpServer.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(handle.httpServer.address() as AddressInfo).port}`;
const login = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation { login(email: "bench@steeple.test", password: "bench password 123") { id } }' }) });
const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
const churches = (await database.sql<{ id: number }[]>`SELECT id FROM churches ORDER BY id LIMIT 25`).map((r) => r.id);
const r = await autocannon({
  url: `${base}/graphql`, connections: Number(process.env.CONN ?? 8), duration: Number(process.env.SECS ?? 5),
  requests: [{ method: 'POST', headers: { 'content-type': 'application/json', cookie }, setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: process.env.Q ?? QUERIES.Q1, variables: { c: String(churches[Math.floor(Math.random() * churches.length)]) } }) }) }],
});
console.log('req/s', r.requests.average, 'p50', r.latency.p50, 'errors', r.errors, 'non2xx', r.non2xx);
await handle.apollo.stop(); await deps.close(); await database.close(); redis.disconnect();
process.exit(0);
