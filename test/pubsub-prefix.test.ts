import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelPrefix, progressTopic, type MessageProgressEvent } from '../src/realtime/topics.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';
import { openSubscription, type LiveSubscription } from './helpers/ws-live.js';

/**
 * Issue 10 item 3. Redis pub/sub channels are global to a Redis server: two deployments that keep
 * their keys apart by db number (same REDIS_KEY_PREFIX, say the default) must not see each other's
 * progress, and a subscriber gets only events that name its message and church.
 */
const PREFIX = `test:${process.pid}:shared-prefix:`;
const otherDbUrl = (() => {
  const u = new URL(TEST_REDIS_URL);
  u.pathname = u.pathname === '/14' ? '/13' : '/14';
  return u.toString();
})();

let one: TestServer;
let two: TestServer;
let churchOne: SeededChurch;
let churchTwo: SeededChurch;
let otherChurch: SeededChurch;
let messageOne: number;
let messageTwo: number;

const PROGRESS = 'subscription($id: ID!) { messageProgress(messageId: $id) { messageId counts { total } } }';

async function firstMessage(s: TestServer, c: SeededChurch, phone: string): Promise<number> {
  await s.database.sql`UPDATE churches SET sms_from_number = ${phone} WHERE id = ${c.churchId}`;
  const r = await s.gql('mutation($c: ID!, $m: [ID!], $at: DateTime) { sendMessage(churchId: $c, body: "Hi", audience: { memberIds: $m }, scheduleAt: $at) { id } }', {
    c: String(c.churchId),
    m: c.memberIds.map(String),
    at: new Date(Date.now() + 3_600_000).toISOString(),
  });
  expect(r.errors).toBeUndefined();
  return Number(r.data.sendMessage.id);
}

beforeAll(async () => {
  one = await startTestServer('pubsub-one', { REDIS_KEY_PREFIX: PREFIX });
  two = await startTestServer('pubsub-two', { REDIS_KEY_PREFIX: PREFIX, REDIS_URL: otherDbUrl });
  churchOne = await seedChurch(one, { members: 1 });
  otherChurch = await seedChurch(one, { members: 1 });
  churchTwo = await seedChurch(two, { members: 2 });
  messageOne = await firstMessage(one, churchOne, '+13125550191');
  messageTwo = await firstMessage(two, churchTwo, '+13125550192');
}, 60_000);
afterAll(async () => {
  await two?.close();
  await one?.close();
});

async function watching(): Promise<LiveSubscription> {
  const live = openSubscription(one.url, PROGRESS, { id: String(messageOne) }, { headers: one.adminHeaders });
  await live.eventCount(1);
  expect(live.events[0]!.messageProgress).toMatchObject({ messageId: String(messageOne), counts: { total: 1 } });
  return live;
}

/** Publishes `n` legit events of server one; resolves when the subscriber has `count` events. */
async function control(live: LiveSubscription, count: number) {
  one.deps.progress.touch(messageOne);
  await one.deps.progress.flush();
  await live.eventCount(count);
}

describe('channels are per deployment', () => {
  it('channel names carry REDIS_KEY_PREFIX and the db number', () => {
    expect(channelPrefix('steeple:', 'redis://127.0.0.1:6379/3')).toBe('steeple:db3:');
    expect(channelPrefix('steeple:', 'redis://127.0.0.1:6379')).toBe('steeple:db0:');
    expect(progressTopic(channelPrefix('p:', 'rediss://h:1/0'), 7)).toBe('p:db0:message-progress:7');
  });

  it("another deployment's progress for the same message id does not arrive", async () => {
    expect(messageTwo).toBe(messageOne); // both databases are fresh: the same id, the probe's case
    const live = await watching();
    two.deps.progress.touch(messageTwo);
    await two.deps.progress.flush(); // counts { total: 2 }, on deployment two's channel
    await control(live, 2); // one's own event arrives after it: the other one would have come first
    expect(live.events.map((e) => e.messageProgress.counts.total)).toEqual([1, 1]);
    await live.dispose();
  });
});

describe('events are checked before delivery', () => {
  it('an event on the channel that names another church or message is dropped', async () => {
    const live = await watching();
    const raw = new Redis(one.config.redis.url!);
    try {
      const topic = progressTopic(channelPrefix(one.config.redis.keyPrefix, one.config.redis.url!), messageOne);
      const forged = (e: Partial<MessageProgressEvent>) =>
        JSON.stringify({
          messageId: messageOne,
          churchId: churchOne.churchId,
          status: 'SENDING',
          counts: { queued: 0, sending: 0, sent: 0, delivered: 0, undelivered: 0, failed: 0, skipped: 0, cancelled: 0, total: 99 },
          done: false,
          at: new Date().toISOString(),
          ...e,
        });
      expect(await raw.publish(topic, forged({ churchId: otherChurch.churchId }))).toBeGreaterThan(0);
      await raw.publish(topic, forged({ messageId: messageOne + 1000 }));
      await raw.publish(topic, 'null');
    } finally {
      raw.disconnect();
    }
    await control(live, 2);
    expect(live.events.map((e) => e.messageProgress.counts.total)).toEqual([1, 1]);
    await live.dispose();
  });
});
