import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/db/migrate.js';
import { replicaReads } from '../src/observability/metrics.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { hasPostgresServer, startReplicaPair, type ReplicaPair } from './helpers/replica.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Issue 13, item 3: directory, search and analytics reads on a streaming replica of this test's own
// (initdb + pg_basebackup -R); writes, and a viewer's reads right after their own write, on the
// primary until the replica has replayed that write (commit LSN against replay LSN); a replica
// too far behind, or down, is skipped.
const available = hasPostgresServer();
if (!available && process.env.CI) throw new Error('PostgreSQL server binaries are missing');

const MAX_LAG_MS = 1500;
const PAGE = 'query($c: ID!, $s: String) { members(churchId: $c, first: 100, filter: { search: $s }) { nodes { lastName } } }';
const CREATE = 'mutation($c: ID!, $n: String!) { createMember(input: { churchId: $c, firstName: "Fresh", lastName: $n, status: VISITOR }) { id } }';

describe.skipIf(!available)('read routing to a replica', () => {
  let pair: ReplicaPair;
  let a: TestServer;
  let b: TestServer;
  let x: SeededChurch;
  let staff: Record<string, string>;
  let other: Record<string, string>;
  const reads = async () => {
    const v = (await replicaReads.get()).values;
    const of = (t: string) => v.find((e) => e.labels.target === t)?.value ?? 0;
    return { replica: of('replica'), primary: of('primary') };
  };
  const names = async (s: TestServer, headers: Record<string, string>, search?: string) => {
    const r = await s.gql<any>(PAGE, { c: String(x.churchId), s: search ?? null }, headers);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    return (r.data.members.nodes as Array<{ lastName: string }>).map((n) => n.lastName);
  };
  const caughtUp = async () => {
    // the replica has replayed everything the primary has written so far
    const p = postgres(pair.primaryUrl('steeple_rr'), { max: 1, onnotice: () => {} });
    const r = postgres(pair.replicaUrl('steeple_rr'), { max: 1, onnotice: () => {} });
    try {
      const [{ lsn }] = await p<[{ lsn: string }]>`SELECT pg_current_wal_lsn()::text AS lsn`;
      for (let i = 0; i < 200; i++) {
        const [{ ok }] = await r<[{ ok: boolean }]>`SELECT pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn AS ok`;
        if (ok) break;
        await new Promise((res) => setTimeout(res, 20));
      }
    } finally {
      await p.end();
      await r.end();
    }
    await new Promise((res) => setTimeout(res, 150)); // every process has polled since
  };

  beforeAll(async () => {
    pair = await startReplicaPair();
    const admin = postgres(pair.primaryUrl('postgres'), { max: 1, onnotice: () => {} });
    await admin.unsafe('CREATE DATABASE steeple_rr');
    await admin.end();
    await runMigrations(pair.primaryUrl('steeple_rr'));
    const env = { DATABASE_REPLICA_URL: pair.replicaUrl('steeple_rr'), DB_REPLICA_POLL_MS: '50', DB_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS), CACHE_ENABLED: 'false' };
    const database = { url: pair.primaryUrl('steeple_rr'), drop: async () => {} };
    // two API nodes on the same databases and Redis key space, as behind the load balancer
    a = await startTestServer('replica', env, { database });
    b = await startTestServer('replica', env, { database });
    x = await seedChurch(a, { members: 5 });
    staff = (await a.userWith('replica-staff@example.org', [[x.churchId, 'staff']])).headers;
    other = (await a.userWith('replica-other@example.org', [[x.churchId, 'staff']])).headers;
    await caughtUp();
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    pair?.stop();
  });

  it('a directory read goes to the replica when it is fresh, and a write to the primary', async () => {
    const before = await reads();
    expect(await names(b, other)).toHaveLength(5);
    const after = await reads();
    expect(after.replica - before.replica).toBe(1);
    // the replica refuses writes; a mutation is never routed
    const r = await b.gql<any>(CREATE, { c: String(x.churchId), n: 'Written' }, other);
    expect(r.errors).toBeUndefined();
    await caughtUp();
  });

  it('with replay paused: others read the replica (and do not see a write yet); the writer reads it at once through the other node', async () => {
    await pair.pauseReplay();
    try {
      const created = await a.gql<any>(CREATE, { c: String(x.churchId), n: 'Mine' }, staff);
      expect(created.errors).toBeUndefined();
      // the writer, through node b: their write is not replayed, so the primary answers
      expect(await names(b, staff, 'Mine')).toEqual(['Mine']);
      // someone else, within the lag limit: the replica answers, without it
      const before = await reads();
      expect(await names(b, other, 'Mine')).toEqual([]);
      expect((await reads()).replica - before.replica).toBe(1);
      // past the lag limit the replica is skipped for everyone
      await new Promise((res) => setTimeout(res, MAX_LAG_MS + 300));
      expect(await names(b, other, 'Mine')).toEqual(['Mine']);
    } finally {
      await pair.resumeReplay();
    }
    await caughtUp();
    const before = await reads();
    expect(await names(b, other, 'Mine')).toEqual(['Mine']);
    expect((await reads()).replica - before.replica).toBe(1);
  });

  it('analytics reads go to the replica too', async () => {
    const before = await reads();
    const r = await b.gql<any>('query($c: ID!) { analytics(churchId: $c) { membersByStatus { total } } }', { c: String(x.churchId) }, other);
    expect(r.errors).toBeUndefined();
    expect(r.data.analytics.membersByStatus.total).toBe(7);
    expect((await reads()).replica - before.replica).toBe(1);
  });

  it('the replica stopped: reads fall back to the primary, with no failed request', async () => {
    pair.stopReplica();
    try {
      // the first read may still be routed to it: it is run again on the primary
      for (let i = 0; i < 5; i++) expect(await names(b, other)).toHaveLength(7);
      const before = await reads();
      expect(await names(b, other)).toHaveLength(7);
      expect((await reads()).primary - before.primary).toBe(1);
      const rows = await b.database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM members`);
      expect(rows[0]?.n).toBe(7);
    } finally {
      pair.startReplica();
    }
  });
});
