import 'reflect-metadata';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { ConfigError, loadConfig } from './config/env.js';
import { bootstrapDatabase } from './db/bootstrap.js';
import { createDatabase } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { seedDemo } from './db/seed.js';
import { createApp } from './http/app.js';
import { superviseWorker } from './worker-process.js';
import { buildDeps } from './http/deps.js';
import { hasDemoUsers, seedDemoUsers } from './modules/auth/bootstrap.js';
import { createLogger } from './lib/logger.js';
import { bootstrapRedis, RedisUnavailableError } from './redis/bootstrap.js';

/** start: config → PostgreSQL (embedded if no DATABASE_URL) → migrate → seed demo → Redis → HTTP. */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.log.level);
  const pgEndpoint = await bootstrapDatabase(config, log);
  const redisEndpoint = await bootstrapRedis(config, log).catch(async (e) => {
    await pgEndpoint.stop();
    throw e;
  });

  await runMigrations(pgEndpoint.url);
  let seeded = false;
  if (config.seedDemo) {
    const seedSql = postgres(pgEndpoint.url, { max: 1, onnotice: () => {} });
    try {
      seeded = await seedDemo(seedSql);
      if (seeded) log.info('seeded demo data (first start)');
    } finally {
      await seedSql.end();
    }
  }

  const database = createDatabase(pgEndpoint.url, config.db.pool, log);
  const redis = new Redis(redisEndpoint.url, { keyPrefix: config.redis.keyPrefix, maxRetriesPerRequest: 2 });
  redis.on('error', (e) => log.warn({ err: e.message }, 'redis error'));
  const deps = buildDeps(config, database.db, redis, log, redisEndpoint.url);
  // demo accounts come with the demo churches, on the first start only (later role changes stick)
  if (seeded) await seedDemoUsers(database.db, deps.hasher, config.auth.demoPassword);
  const demoUsers = !config.isProduction && (await hasDemoUsers(database.db));

  const worker = config.runWorker
    ? superviseWorker({ DATABASE_URL: pgEndpoint.url, REDIS_URL: redisEndpoint.url }, log)
    : undefined;

  const handle = await createApp(deps, [
    () => database.sql`SELECT 1`,
    () => redis.ping(),
  ]);
  await new Promise<void>((resolve) => handle.httpServer.listen(config.http.port, config.http.host, resolve));
  const shownHost = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const url = `http://${shownHost}:${config.http.port}/graphql`;
  log.info({ url, sandbox: config.http.sandbox }, 'Steeple API ready');
  if (config.http.sandbox) process.stdout.write(`\n  Steeple GraphQL sandbox: ${url}\n`);
  if (demoUsers) {
    process.stdout.write(
      `  Demo sign-in (password "${config.auth.demoPassword}" unless changed): owner@grace.example, staff@grace.example,\n` +
        `  admin@stmarks.example, ops@steeple.example (platform admin). In the sandbox run:\n` +
        `    mutation { login(email: "owner@grace.example", password: "${config.auth.demoPassword}") { name } }\n`,
    );
  }
  process.stdout.write('\n');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, config.http.shutdownGraceMs + 2000);
    force.unref();
    try {
      await handle.apollo.stop(); // stops accepting, drains in-flight requests (drain plugin)
      await worker?.stop();
      await deps.close();
      await database.close();
      redis.disconnect();
      await redisEndpoint.stop();
      await pgEndpoint.stop();
      log.info('stopped');
    } catch (e) {
      log.error({ err: e }, 'error during shutdown');
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e) => {
  if (e instanceof ConfigError || e instanceof RedisUnavailableError) {
    console.error(e.message);
  } else {
    console.error(e);
  }
  process.exit(1);
});
