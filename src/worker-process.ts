import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from './lib/logger.js';

const WORKER_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../worker/main.ts');

/**
 * Runs the SMS worker as a child process beside the API (npm start): it gets the resolved
 * DATABASE_URL / REDIS_URL (the embedded ones too), is restarted with backoff if it dies, and is
 * stopped with SIGTERM (it finishes its active sends) when the API stops.
 */
export function superviseWorker(env: Record<string, string>, log: Logger) {
  let child: ChildProcess | undefined;
  let stopping = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  const start = () => {
    const startedAt = Date.now();
    // an IPC channel: if this process dies without stopping the worker (SIGKILL), the worker sees
    // the channel close and stops too, instead of living on as an orphan
    child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('exit', (code, signal) => {
      child = undefined;
      if (stopping) return;
      failures = Date.now() - startedAt > 60_000 ? 1 : failures + 1;
      const delay = Math.min(30_000, 500 * 2 ** (failures - 1));
      log.error({ code, signal, restartInMs: delay }, 'SMS worker exited; restarting');
      restartTimer = setTimeout(start, delay);
    });
  };
  start();

  return {
    get pid() {
      return child?.pid;
    },
    async stop(): Promise<void> {
      stopping = true;
      clearTimeout(restartTimer);
      const c = child;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
  };
}
