import { loadConfig } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { bootstrapDatabase } from './bootstrap.js';
import { runMigrations } from './migrate.js';

// npm run db:migrate — applies migrations to DATABASE_URL (or the embedded database).
const config = loadConfig();
const log = createLogger(config.log.level);
const endpoint = await bootstrapDatabase(config, log);
try {
  await runMigrations(endpoint.url);
  log.info('migrations applied');
} finally {
  await endpoint.stop();
}
