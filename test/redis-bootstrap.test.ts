import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/env.js';
import { createLogger } from '../src/lib/logger.js';
import { bootstrapRedis, redisReason, RedisUnavailableError } from '../src/redis/bootstrap.js';

// npm start's redis-server from PATH: when it cannot start, the one line says why (its own words).
const dir = mkdtempSync(path.join(tmpdir(), 'steeple-redisboot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('silent');
const configFor = (port: number) => ({ redis: { url: undefined, embedded: { dir, port } } }) as unknown as Config;

describe('the embedded redis-server', () => {
  it('a port held by something that is not Redis: the error names the port and redis-server’s reason', async () => {
    const squatter = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const { port } = squatter.address() as AddressInfo;
    try {
      const err = await bootstrapRedis(configFor(port), log).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RedisUnavailableError);
      const msg = (err as Error).message;
      expect(msg).toContain(`redis-server did not start on port ${port} (it exited: `);
      expect(msg).toMatch(/in use/i);
      expect(msg).toContain('set EMBEDDED_REDIS_PORT or REDIS_URL');
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('a free port: it starts, answers, and stops with the API', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const redis = await bootstrapRedis(configFor(port), log);
    expect(redis).toMatchObject({ url: `redis://127.0.0.1:${port}`, embedded: true });
    await redis.stop();
    const again = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    expect(again).toBe(false);
  });

  it('reads the reason out of redis-server’s log lines', () => {
    const out = [
      '1:C 03 Dec 2026 14:00:00.000 * Redis version=7.0.15',
      '1:M 03 Dec 2026 14:00:00.001 # Warning: Could not create server TCP listening socket 127.0.0.1:6390: bind: Address already in use',
      '1:M 03 Dec 2026 14:00:00.001 # Failed listening on port 6390 (tcp), aborting.',
      '',
    ].join('\n');
    expect(redisReason(out, true)).toBe(
      ' (it exited: Warning: Could not create server TCP listening socket 127.0.0.1:6390: bind: Address already in use)',
    );
    expect(redisReason(out.split('\n').filter((l) => !l.includes('in use')).join('\n'), true)).toBe(
      ' (it exited: Failed listening on port 6390 (tcp), aborting.)',
    );
    expect(redisReason('', true)).toBe(' (it exited without output)');
    expect(redisReason('', false)).toBe(' within 15 s');
  });
});
