import { loadConfig } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { bootstrapDatabase } from './bootstrap.js';
import { migrateAsConfigured } from './migrate.js';

// npm run db:migrate — applies migrations to DATABASE_URL, or the embedded database (the one
// npm start runs, when it runs). Failures print their message, not a stack.
let exitCode = 0;
try {
  const config = loadConfig();
  const log = createLogger(config.log.level);
  const endpoint = await bootstrapDatabase(config, log, { reuseRunning: true });
  try {
    await migrateAsConfigured(config, endpoint.url);
    log.info('migrations applied');
  } finally {
    await endpoint.stop();
  }
} catch (e) {
  console.error(`db:migrate failed: ${(e as Error).message}`);
  exitCode = 1;
}
process.exit(exitCode);
