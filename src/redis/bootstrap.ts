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
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 50 && !exited; i++) {
    if (await ping(url)) {
      log.info({ url, dir: absDir }, 'started redis-server');
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
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`redis-server did not start on port ${port}; set EMBEDDED_REDIS_PORT or REDIS_URL.`);
}
