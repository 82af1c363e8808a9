import { ConfigError, loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/lib/logger.js';
import { startWorker } from './worker.js';

/**
 * `npm run worker` (and the child process `npm start` supervises): the SMS worker until
 * SIGTERM/SIGINT, when it finishes its active sends within the grace period and exits.
 */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.log.level, { process: 'worker' });
  const db = process.env.DATABASE_URL;
  const redis = process.env.REDIS_URL;
  if (!db || !redis) {
    throw new ConfigError(['the worker needs DATABASE_URL and REDIS_URL (npm start runs a worker for the embedded ones)']);
  }
  const worker = await startWorker(config, log, { db, redis });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'worker stopping: finishing active sends');
    const force = setTimeout(() => {
      log.error('worker shutdown deadline passed; exiting');
      process.exit(1);
    }, config.http.shutdownGraceMs + 2000);
    force.unref();
    try {
      await worker.close();
    } catch (e) {
      log.error({ err: e }, 'error while stopping the worker');
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // started by npm start's primary: when it is gone, so is the reason to run
  if (process.send) process.on('disconnect', () => void stop('parent exited'));
}

main().catch((e) => {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
});
