import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';

/** Deletes every key under a prefix (tests own their prefix; SCAN, never KEYS). */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  try {
    let n = 0;
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      const keys = batch as string[];
      if (keys.length) n += await redis.del(...keys);
    }
    return n;
  } finally {
    redis.disconnect();
  }
}

/**
 * A redis-server of a test's own on this port (nothing kept on disk), once it answers: for tests
 * that stop, hang (SIGSTOP) or kill their Redis without touching anyone else's.
 */
export async function startRedisServer(port: number): Promise<ChildProcess> {
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    const up = await probe.connect().then(() => true, () => false);
    probe.disconnect();
    if (up) return server;
    if (server.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  server.kill('SIGKILL');
  throw new Error('redis-server did not start');
}
