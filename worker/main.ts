import { ConfigError, loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/lib/logger.js';
import { startWorker, type RunningWorker } from './worker.js';

/**
 * `npm run worker` (and the child process `npm start` supervises): the SMS worker until
 * SIGTERM/SIGINT, when it finishes its active sends within the grace period and exits.
 */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.log.level, { process: 'worker' });
  const db = config.db.url;
  const redis = config.redis.url;
  if (!db || !redis) {
    throw new ConfigError(['the worker needs DATABASE_URL and REDIS_URL (npm start runs a worker for the embedded ones)']);
  }
  // the handlers come first: a signal at any moment of the start (right after "ready" too) is a
  // clean stop, not the default action that kills the process mid-start
  let starting: Promise<RunningWorker> | undefined = undefined; // set once the handlers are in
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
    let worker: RunningWorker | undefined;
    try {
      worker = await starting; // stopped while starting: once it has started
    } catch (e) {
      log.error({ err: e }, 'the worker failed to start');
      process.exit(1);
    }
    try {
      await worker?.close();
    } catch (e) {
      log.error({ err: e }, 'error while stopping the worker');
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // started by npm start's primary: when it is gone, so is the reason to run
  if (process.send) process.on('disconnect', () => void stop('parent exited'));
  starting = startWorker(config, log, { db, redis });
  // a start that fails while stopping is stop()'s to report
  await starting.catch((e: unknown) => {
    if (!stopping) throw e;
  });
}

main().catch((e) => {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
});
