import 'reflect-metadata';
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { ConfigError, loadConfig, type Config } from './config/env.js';
import { clusterHandoff, clusterHandoffEnv } from './config/process.js';
import { bootstrapDatabase } from './db/bootstrap.js';
import { createDatabase } from './db/client.js';
import { directUrl, migrateAsConfigured } from './db/migrate.js';
import { startReadRouter } from './db/replica.js';
import { seedDemo } from './db/seed.js';
import { createApp } from './http/app.js';
import { buildDeps } from './http/deps.js';
import { createLogger, type Logger } from './lib/logger.js';
import { hasDemoUsers, seedDemoUsers } from './modules/auth/bootstrap.js';
import { createPasswordHasher } from './modules/auth/password.js';
import { startMetricsListener } from './observability/http.js';
import { listenForClusterMetrics, observe, serveClusterMetrics } from './observability/metrics.js';
import { bootstrapRedis, RedisUnavailableError } from './redis/bootstrap.js';
import { createRequestRedis, redisReady } from './redis/client.js';
import { superviseWorker } from './worker-process.js';

/**
 * npm start. The primary prepares everything once — config, PostgreSQL (embedded when no
 * DATABASE_URL), Redis (a local redis-server when no REDIS_URL), migrations, the demo — then runs
 * the SMS worker and one API process per core (`--workers N` or API_WORKERS; 1 runs the API in
 * this process). It restarts a crashed API process with backoff and, on SIGTERM/SIGINT, passes the
 * signal on, waits for every process to drain and stops what it started. Nothing is left behind.
 */
function workerCount(config: Config): number {
  const { values } = parseArgs({ options: { workers: { type: 'string' } }, strict: false });
  const raw = values.workers as string | undefined;
  if (raw === undefined || raw === '') return config.apiWorkers ?? os.availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ConfigError([`--workers must be 1-256, got "${raw}"`]);
  return n;
}

interface Urls {
  db: string;
  redis: string;
}

/** One API process: serves until told to stop, then drains (readyz 503, in-flight requests finish). */
async function runApi(config: Config, urls: Urls, log: Logger, afterDrain?: () => Promise<void>) {
  const database = createDatabase(urls.db, config.db.pool, log);
  // sessions and limits: a bounded wait, 503 when Redis is down (src/redis/client.ts)
  const redis = createRequestRedis(urls.redis, { keyPrefix: config.redis.keyPrefix, timeoutMs: config.redis.timeoutMs }, log);
  await redisReady(redis, 5000);
  const deps = buildDeps(config, database.db, redis, log, urls.redis);
  // directory, search and analytics reads on a replica when one is configured (src/db/replica.ts)
  const reads = await startReadRouter(config, database, redis, log);
  deps.router = reads?.router ?? null;
  observe({ gate: database.gate, queue: deps.smsQueue });
  const handle = await createApp(deps, [() => database.sql`SELECT 1`, () => redis.ping()]);
  await new Promise<void>((resolve) => handle.httpServer.listen(config.http.port, config.http.host, resolve));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, delayMs: config.http.drainDelayMs }, 'draining');
    handle.setDraining();
    const force = setTimeout(() => {
      log.error('grace period exceeded; exiting');
      process.exit(1);
    }, config.http.drainDelayMs + config.http.shutdownGraceMs + 2000);
    force.unref();
    try {
      // behind a load balancer: /readyz answers 503 from now on, but requests are still served
      // (each answer closing its connection) until its health checks have seen it; only then
      // does the listener close (SHUTDOWN_DELAY_MS)
      if (config.http.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.http.drainDelayMs));
      // stops accepting, lets in-flight requests finish (up to the grace period), closes
      // websockets with 1001 Going Away
      await handle.apollo.stop();
      await deps.close();
      await reads?.close();
      await database.close();
      redis.disconnect();
      await afterDrain?.();
    } catch (e) {
      log.error({ err: e }, 'error while draining');
    }
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // a cluster worker whose primary died (SIGKILL) drains and exits rather than live on alone
  if (cluster.isWorker) process.on('disconnect', () => void stop('primary exited'));
  return handle;
}

async function runPrimary(config: Config, workers: number, log: Logger) {
  // announce: the CLIs (db:migrate, db:seed, user:create) find and use this embedded server
  const pgEndpoint = await bootstrapDatabase(config, log, { announce: true });
  const redisEndpoint = await bootstrapRedis(config, log).catch(async (e) => {
    await pgEndpoint.stop();
    throw e;
  });
  const urls = { db: pgEndpoint.url, redis: redisEndpoint.url };
  await migrateAsConfigured(config, urls.db);
  if (config.seedDemo) {
    const seedSql = postgres(directUrl(config, urls.db), { max: 1, onnotice: () => {} });
    try {
      if (await seedDemo(seedSql)) {
        log.info('seeded demo data (first start)');
        const database = createDatabase(urls.db, config.db.pool, log);
        // demo accounts come with the demo churches, on the first start only
        await seedDemoUsers(database.db, createPasswordHasher(config.auth.argon2), config.auth.demoPassword).finally(() => database.close());
      }
    } finally {
      await seedSql.end();
    }
  }
  const smsWorker = config.runWorker ? superviseWorker({ DATABASE_URL: urls.db, REDIS_URL: urls.redis }, log) : undefined;

  let stopping = false;
  const live = new Set<Worker>();
  // the metrics listener lives where every API process's metrics are seen: here
  if (workers > 1) serveClusterMetrics();
  const metricsListener = await startMetricsListener(config.metrics, log);
  const stopRest = async () => {
    await metricsListener?.close();
    await smsWorker?.stop();
    await redisEndpoint.stop();
    await pgEndpoint.stop();
  };
  if (workers === 1) {
    // the API in this process: it drains on SIGTERM, then the SMS worker and servers stop
    await runApi(config, urls, log, stopRest);
  } else {
    const failures = new Map<number, { count: number; since: number }>();
    const fork = (slot: number) => {
      const w = cluster.fork(clusterHandoffEnv({ slot, databaseUrl: urls.db, redisUrl: urls.redis }));
      live.add(w);
      w.once('exit', (code, signal) => {
        live.delete(w);
        if (stopping) return;
        const f = failures.get(slot) ?? { count: 0, since: Date.now() };
        // a process that ran a minute is a fresh start; repeated crashes back off up to 30 s
        const count = Date.now() - f.since > 60_000 ? 1 : f.count + 1;
        failures.set(slot, { count, since: Date.now() });
        const delay = Math.min(30_000, 250 * 2 ** (count - 1));
        log.error({ slot, pid: w.process.pid, code, signal, restartInMs: delay }, 'API process exited; replacing it');
        setTimeout(() => !stopping && fork(slot), delay);
      });
    };
    for (let slot = 0; slot < workers; slot++) fork(slot);
    await Promise.all([...live].map((w) => new Promise((r) => w.once('listening', r))));
  }

  const shownHost = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const url = `http://${shownHost}:${config.http.port}/graphql`;
  log.info({ url, apiProcesses: workers, sandbox: config.http.sandbox }, 'Steeple API ready');
  if (config.http.sandbox) process.stdout.write(`\n  Steeple GraphQL sandbox: ${url}   (${workers} API process${workers > 1 ? 'es' : ''})\n`);
  if (config.http.webApp) process.stdout.write(`  Steeple web app: http://${shownHost}:${config.http.port}/app/\n`);
  if (!config.isProduction && config.seedDemo) {
    const database = createDatabase(urls.db, config.db.pool, log);
    if (await hasDemoUsers(database.db).finally(() => database.close())) {
      process.stdout.write(
        `  Demo sign-in (password "${config.auth.demoPassword}" unless changed): owner@grace.example, staff@grace.example,\n` +
          `  owner@stmarks.example, admin@stmarks.example, ops@steeple.example (platform admin). In the sandbox run:\n` +
          `    mutation { login(email: "owner@grace.example", password: "${config.auth.demoPassword}") { name } }\n`,
      );
    }
  }
  if (pgEndpoint.embedded) {
    // the URL in the data directory lets the CLIs use this server while it runs
    process.stdout.write(
      `  Embedded PostgreSQL (npm run db:migrate, db:seed and user:create use it while this runs):\n` +
        `    psql "${pgEndpoint.url}"\n`,
    );
  }
  process.stdout.write('\n');

  if (workers === 1) return;

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, apiProcesses: live.size }, 'shutting down: draining API processes');
    const deadline = config.http.drainDelayMs + config.http.shutdownGraceMs + 2000;
    const exits = [...live].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    for (const w of live) w.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of live) {
        log.error({ pid: w.process.pid }, 'API process did not stop in time; killing it');
        w.process.kill('SIGKILL');
      }
    }, deadline);
    await Promise.all(exits);
    clearTimeout(timer);
    await stopRest();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

async function main() {
  const config = loadConfig();
  if (cluster.isWorker) {
    const handoff = clusterHandoff();
    const log = createLogger(config.log.level, { slot: handoff.slot });
    listenForClusterMetrics();
    await runApi(config, { db: handoff.databaseUrl, redis: handoff.redisUrl }, log);
    return;
  }
  const log = createLogger(config.log.level, { role: 'primary' });
  await runPrimary(config, workerCount(config), log);
}

main().catch((e) => {
  if (e instanceof ConfigError || e instanceof RedisUnavailableError) console.error(e.message);
  else console.error(e);
  process.exit(1);
});
