import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { createDatabase } from '../src/db/client.js';
import { ensureUser } from '../src/modules/auth/bootstrap.js';
import { createPasswordHasher } from '../src/modules/auth/password.js';
import { createTestDatabase } from './helpers/db.js';
import { startMain, type MainProcess } from './helpers/main-process.js';
import { deleteKeys } from './helpers/redis.js';
import { freePort, TEST_REDIS_URL } from './helpers/server.js';

// Issue 10, item 5: under `npm start` (the cluster) /metrics was one newline: the API processes'
// registries never reached the primary's aggregation. And it was public.
const prefix = `test:${process.pid}:metrics-cluster:`;
const EMAIL = 'metrics@cluster.test';
const PASSWORD = 'a long metrics test phrase';
const TOKEN = 'metrics-cluster-test-token-0123456789';
const REQUESTS = 12;
let db: { url: string; drop(): Promise<void> };
let main: MainProcess;
let metricsPort: number;

/** One request on a connection of its own, so the cluster spreads them over its API processes. */
function request(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const gql = (query: string, headers: Record<string, string> = {}) =>
  request(main.port, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });

/** The value of one series (exact name and labels as Prometheus prints them). */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  db = await createTestDatabase('metrics_cluster');
  const config = loadConfig({ DATABASE_URL: db.url, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' });
  const database = createDatabase(db.url, config.db.pool);
  try {
    await database.sql`INSERT INTO churches (name, slug, time_zone) VALUES ('Metrics Church', 'metrics', 'UTC')`;
    await ensureUser(database.db, createPasswordHasher(config.auth.argon2), { email: EMAIL, name: 'Metrics', password: PASSWORD, roles: [{ church: 'metrics', role: 'staff' }] });
  } finally {
    await database.close();
  }
  metricsPort = await freePort();
  main = await startMain({
    args: ['--workers', '2'],
    env: { DATABASE_URL: db.url, REDIS_KEY_PREFIX: prefix, WORKER: 'false', METRICS_PORT: String(metricsPort), METRICS_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
  });
  await main.waitFor(/sandbox:/);
}, 90_000);

afterAll(async () => {
  if (main && main.child.exitCode === null) {
    main.child.kill('SIGTERM');
    await Promise.race([main.exited, new Promise((r) => setTimeout(r, 15_000))]);
    main.kill();
  }
  await db?.drop();
  await deleteKeys(TEST_REDIS_URL, prefix);
}, 30_000);

describe('/metrics under npm start --workers 2', () => {
  it('aggregates both API processes: HTTP and GraphQL counters, pool and queue gauges', async () => {
    const login = await gql(`mutation Login { login(email: "${EMAIL}", password: "${PASSWORD}") { email } }`);
    expect(login.status).toBe(200);
    const cookie = String(login.headers['set-cookie']![0]).split(';')[0]!;
    for (let i = 0; i < REQUESTS; i++) {
      const r = await gql('query MetricsCluster { me { user { email } } }', { cookie });
      expect(JSON.parse(r.text).data.me.user.email).toBe(EMAIL);
    }
    await gql('{ nope }', { cookie }); // an error, by code

    const res = await request(metricsPort, '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const text = res.text;
    // every request counted, whichever process served it (the cluster alternates connections)
    expect(valueOf(text, 'steeple_graphql_request_duration_seconds_count{operation="MetricsCluster",type="query"}'), text).toBe(REQUESTS);
    // an anonymous caller's operation name claims no label (see metrics-labels.test.ts)
    expect(valueOf(text, 'steeple_graphql_request_duration_seconds_count{operation="other",type="mutation"}')).toBe(1);
    expect(valueOf(text, 'steeple_http_requests_total{route="/graphql",status="200"}')).toBe(REQUESTS + 1);
    expect(valueOf(text, 'steeple_http_requests_total{route="/graphql",status="400"}')).toBe(1);
    expect(valueOf(text, 'steeple_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    // two processes' pools (DB_POOL_MAX each, the default), summed; one queue, not multiplied
    expect(valueOf(text, 'steeple_db_pool_connections{state="free"}')).toBe(2 * loadConfig({}).db.pool.max * loadConfig({}).db.pool.pipeline);
    expect(valueOf(text, 'steeple_db_pool_connections{state="in_use"}')).toBe(0);
    expect(valueOf(text, 'steeple_sms_queue_jobs{state="waiting"}')).toBe(0);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('is not public: the API port answers 401 without the token; the listener too', async () => {
    const open = await request(main.port, '/metrics');
    expect(open.status).toBe(401);
    expect(open.text).not.toMatch(/steeple_|nodejs_/);
    expect((await request(main.port, '/metrics', { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await request(metricsPort, '/metrics')).status).toBe(401);
    // with the token the API port answers the same cluster-wide text (asked of the primary)
    const viaApi = await request(main.port, '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(viaApi.status).toBe(200);
    expect(valueOf(viaApi.text, 'steeple_graphql_request_duration_seconds_count{operation="MetricsCluster",type="query"}')).toBe(REQUESTS);
  });
});
