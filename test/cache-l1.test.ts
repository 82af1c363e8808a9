import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisResponseCache } from '../src/cache/store.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startPeer, type PeerServer } from './helpers/peer.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// The response cache's in-process tier (src/cache/store.ts MemoryTier) on two API processes of one
// deployment: a change made through one drops the other's copy before the mutation answers.

let a: TestServer;
let b: PeerServer;
let x: SeededChurch;
let cookie: string;

const PAGE = `query L1Page($c: ID!) { members(churchId: $c, first: 5) { totalCount nodes { id firstName } } }`;
const memoryOf = (cache: RedisResponseCache | null) => cache!.memoryEntries;

async function until(what: string, ok: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  a = await startTestServer('cache-l1');
  b = await startPeer(a);
  x = await seedChurch(a, { members: 6 });
  await a.userWith('l1-staff@example.org', [[x.churchId, 'staff']]);
  cookie = (await a.login('l1-staff@example.org')).cookie!;
  // both tiers subscribed (a tier is used only once its invalidation channel is live)
  await until('the tiers to go live', () => (a.deps.cache as unknown as { l1: { live: boolean } }).l1.live && (b.deps.cache as unknown as { l1: { live: boolean } }).l1.live);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('the in-process tier across two API processes', () => {
  it('a hit on the other process fills its tier; a change through the first drops it there before answering', async () => {
    const c = String(x.churchId);
    const first = await a.gql<any>(PAGE, { c }, { cookie });
    expect(first.errors).toBeUndefined();
    // the answer is sent before its write to Redis lands (envelop does not await it); the tier is
    // filled once that write has
    await until('A to keep its answer', () => memoryOf(a.deps.cache) > 0);
    // B reads A's answer from Redis and keeps it
    const before = memoryOf(b.deps.cache);
    const fromB = await b.gql<any>(PAGE, { c }, { cookie });
    expect(fromB.data).toEqual(first.data);
    expect(memoryOf(b.deps.cache)).toBe(before + 1);
    // B now answers from memory, the same answer
    expect((await b.gql<any>(PAGE, { c }, { cookie })).data).toEqual(first.data);
    expect(memoryOf(b.deps.cache)).toBe(before + 1);

    // a new member through A: its invalidation reaches B's tier before the mutation answers
    const created = await a.gql<any>(
      `mutation($c: ID!) { createMember(input: { churchId: $c, firstName: "Aaron", lastName: "Aardvark", status: VISITOR }) { id } }`,
      { c },
      { cookie },
    );
    expect(created.errors).toBeUndefined();
    const after = await b.gql<any>(PAGE, { c }, { cookie });
    expect(after.data.members.totalCount).toBe(first.data.members.totalCount + 1);
    expect(after.data.members.nodes.map((n: { firstName: string }) => n.firstName)).toContain('Aaron');
  });

  it('clearing the cache (ops) empties every process’s tier', async () => {
    const c = String(x.churchId);
    await a.gql<any>(PAGE, { c }, { cookie });
    await b.gql<any>(PAGE, { c }, { cookie });
    await until('B to keep an answer', () => memoryOf(b.deps.cache) > 0);
    await a.deps.cache!.clear();
    await until('B to hear the clear', () => memoryOf(b.deps.cache) === 0);
    expect(memoryOf(a.deps.cache)).toBe(0);
  });
});
