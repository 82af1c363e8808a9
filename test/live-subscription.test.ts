import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTBEAT_MS, LiveSubscription } from '../src/redis/live-subscription.js';
import { startRedisServer } from './helpers/redis.js';
import { freePort } from './helpers/server.js';

// The subscription both in-process tiers (the response cache's memory, the session tier) rely on
// before answering from memory: live once subscribed, not live while the connection is gone or
// the server hung, live again on its own after either. A redis-server of this test's own, so it
// can be stopped (SIGSTOP) without touching anything else.
const TIMEOUT_MS = 200;
let redis: ChildProcess;
let url: string;

async function until(what: () => boolean, ms: number) {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  const port = await freePort();
  url = `redis://127.0.0.1:${port}`;
  redis = await startRedisServer(port);
});

afterAll(() => {
  redis.kill('SIGCONT');
  redis.kill('SIGKILL');
});

function open() {
  const changes: boolean[] = [];
  const messages: string[] = [];
  const s = new LiveSubscription({ url, channel: 'live-test', timeoutMs: TIMEOUT_MS, onMessage: (t) => messages.push(t), onLive: (l) => changes.push(l) });
  return { s, changes, messages };
}

describe('LiveSubscription', () => {
  it('is live once subscribed, and hears what is published from then on', async () => {
    const { s, changes, messages } = open();
    const pub = new Redis(url);
    try {
      expect(s.live).toBe(false);
      await until(() => s.live, 2000);
      expect(changes).toEqual([true]);
      await pub.publish('live-test', 'one');
      await until(() => messages.length === 1, 1000);
      expect(messages).toEqual(['one']);
    } finally {
      s.close();
      pub.disconnect();
    }
    expect(s.live).toBe(false);
    expect(changes).toEqual([true, false]);
  });

  it('a hung server: not live within a heartbeat and the timeout, live again as soon as it answers', async () => {
    const { s, changes } = open();
    try {
      await until(() => s.live, 2000);
      redis.kill('SIGSTOP');
      try {
        await until(() => !s.live, HEARTBEAT_MS + TIMEOUT_MS + 300);
      } finally {
        redis.kill('SIGCONT');
      }
      // the late answer, or the next heartbeat's, brings it back without a reconnect
      await until(() => s.live, HEARTBEAT_MS + TIMEOUT_MS + 500);
      expect(changes).toEqual([true, false, true]);
    } finally {
      s.close();
    }
  });

  it('a dropped connection: not live at once, live again once it has resubscribed', async () => {
    const { s, changes } = open();
    const killer = new Redis(url);
    try {
      await until(() => s.live, 2000);
      const port = (s as unknown as { sub: { stream: { localPort: number } } }).sub.stream.localPort;
      await killer.call('CLIENT', 'KILL', 'ADDR', `127.0.0.1:${port}`);
      await until(() => !s.live, 1000);
      await until(() => s.live, 5000);
      expect(changes).toEqual([true, false, true]);
    } finally {
      s.close();
      killer.disconnect();
    }
  });

  it('suspend: not live until the next heartbeat answers', async () => {
    const { s, changes } = open();
    try {
      await until(() => s.live, 2000);
      s.suspend();
      expect(s.live).toBe(false);
      await until(() => s.live, HEARTBEAT_MS + TIMEOUT_MS + 300);
      expect(changes).toEqual([true, false, true]);
    } finally {
      s.close();
    }
  });
});
