import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import type { Logger } from '../lib/logger.js';

export interface RedisEndpoint {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {}

async function ping(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/**
 * REDIS_URL when set; otherwise a redis-server from PATH, started as a child process with its data
 * (append-only file) under EMBEDDED_REDIS_DIR and stopped with the API.
 */
export async function bootstrapRedis(config: Config, log: Logger): Promise<RedisEndpoint> {
  if (config.redis.url) return { url: config.redis.url, embedded: false, stop: async () => {} };

  const { port, dir } = config.redis.embedded;
  const url = `redis://127.0.0.1:${port}`;
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error) {
    throw new RedisUnavailableError(
      'redis-server was not found on PATH: install Redis (Debian/Ubuntu: apt-get install redis-server, macOS: brew install redis) or set REDIS_URL.',
    );
  }
  if (await ping(url)) {
    // a redis-server from an earlier run that was not stopped (e.g. the API was killed): reuse it
    log.warn({ url }, 'a Redis is already listening on EMBEDDED_REDIS_PORT; using it');
    return { url, embedded: false, stop: async () => {} };
  }
  const absDir = path.resolve(dir);
  mkdirSync(absDir, { recursive: true });
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', absDir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // redis-server logs to stdout; keep its last lines (bounded) to say why it did not start
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-2000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 15_000; // a loaded machine can take seconds to start it
  while (!exited && Date.now() < deadline) {
    if (await ping(url)) {
      log.info({ url, dir: absDir }, 'started redis-server');
      child.stdout!.off('data', keep).resume();
      child.stderr!.off('data', keep).resume();
      return {
        url,
        embedded: true,
        stop: () =>
          new Promise<void>((resolve) => {
            if (exited) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!exited) child.kill('SIGKILL');
  throw new RedisUnavailableError(
    `redis-server did not start on port ${port}${redisReason(output, exited)}; set EMBEDDED_REDIS_PORT or REDIS_URL.`,
  );
}

/** The line of redis-server's output that says why it stopped (e.g. the port is in use), if any. */
export function redisReason(output: string, exited: boolean): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = (re: RegExp) => [...lines].reverse().find((l) => re.test(l));
  // the cause ("bind: Address already in use") before the verdict ("Failed listening ..., aborting")
  const why = last(/in use|denied|permission|can't|cannot|no such/i) ?? last(/ # |error|fatal|failed/i) ?? lines.at(-1);
  if (!why) return exited ? ' (it exited without output)' : ' within 15 s';
  // "12345:M 01 Dec 2026 10:00:00.000 # Warning: Could not create server TCP listening socket ..." → the message
  const msg = why.replace(/^\d+:[A-Z] \d{2} \w{3} \d{4} [\d:.]+ [#*.-] /, '');
  return ` (${exited ? 'it exited' : 'not answering within 15 s'}: ${msg})`;
}
