import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from './lib/logger.js';

const HERE = fileURLToPath(import.meta.url);
// built (dist/src/worker-process.js) the worker is dist/worker/main.js run by plain node; from
// the sources it is worker/main.ts through tsx, like this process
const BUILT = HERE.endsWith('.js');
const WORKER_ENTRY = path.resolve(path.dirname(HERE), BUILT ? '../worker/main.js' : '../worker/main.ts');
const WORKER_ARGS = BUILT ? [WORKER_ENTRY] : ['--import', 'tsx', WORKER_ENTRY];

/**
 * Runs the SMS worker as a child process beside the API (npm start): it gets the resolved
 * DATABASE_URL / REDIS_URL (the embedded ones too), is restarted with backoff if it dies, and is
 * stopped with SIGTERM (it finishes its active sends) when the API stops.
 *
 * A termination signal that reaches this process marks the stop as planned at once: a terminal's
 * Ctrl-C or a container stop signals the whole process group, so the worker stops on its own
 * before the API has drained and asked it to. That exit is the stop, not a crash: it is neither
 * restarted nor logged as an error.
 */
export function superviseWorker(env: Record<string, string>, log: Logger) {
  let child: ChildProcess | undefined;
  let stopping = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const planned = () => {
    stopping = true;
    clearTimeout(restartTimer);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    planned();
    // nobody else handles it yet (still starting): the default action, as without this listener
    if (!process.listenerCount(signal)) process.kill(process.pid, signal);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  const start = () => {
    const startedAt = Date.now();
    // an IPC channel: if this process dies without stopping the worker (SIGKILL), the worker sees
    // the channel close and stops too, instead of living on as an orphan
    child = spawn(process.execPath, WORKER_ARGS, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('exit', (code, signal) => {
      child = undefined;
      if (stopping) {
        log.info({ code, signal }, 'SMS worker stopped');
        return;
      }
      failures = Date.now() - startedAt > 60_000 ? 1 : failures + 1;
      const delay = Math.min(30_000, 500 * 2 ** (failures - 1));
      // exit 0 is a clean stop someone else asked for (a signal to the worker alone): worth a
      // restart and a warning, not an error
      const line = { code, signal, restartInMs: delay };
      if (code === 0) log.warn(line, 'SMS worker stopped unasked; restarting');
      else log.error(line, 'SMS worker exited; restarting');
      restartTimer = setTimeout(start, delay);
    });
  };
  start();

  return {
    get pid() {
      return child?.pid;
    },
    async stop(): Promise<void> {
      planned();
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const c = child;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
  };
}
