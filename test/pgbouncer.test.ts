import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { createDatabase, type Database } from '../src/db/client.js';
import { migrateAsConfigured } from '../src/db/migrate.js';
import { churches } from '../src/db/schema/index.js';
import { createTestDatabase } from './helpers/db.js';
import { seedChurch } from './helpers/factories.js';
import { hasPgBouncer, startPgBouncer, type Bouncer } from './helpers/pgbouncer.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Issue 13, item 2: Steeple behind Debian's PgBouncer (1.18) in transaction mode, which keeps no
// named prepared statements across transactions and refuses session settings at connect.
// DATABASE_POOLER=pgbouncer sends statements unnamed and makes the timeouts the role's.
// (.ci/run installs pgbouncer; without it, and outside CI, this file is skipped.)
const available = hasPgBouncer();
if (!available && process.env.CI) throw new Error('pgbouncer is not installed (.ci/run installs it)');

/** What a query failed with (drizzle wraps the driver's error as its cause), or null. */
const failure = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    () => null,
    (e: { cause?: { message: string; code?: string } } & Error) => e.cause ?? e,
  );

describe.skipIf(!available)('behind PgBouncer in transaction mode', () => {
  let bouncer: Bouncer;
  let testDb: { url: string; drop(): Promise<void> };
  let database: Database | undefined;

  beforeAll(async () => {
    bouncer = await startPgBouncer({ poolSize: 2 });
    testDb = await createTestDatabase('pgbouncer');
  });
  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
    await bouncer?.stop();
  });

  const configFor = (pooler: 'none' | 'pgbouncer') =>
    loadConfig({ DATABASE_URL: bouncer.via(testDb.url), DATABASE_DIRECT_URL: testDb.url, DATABASE_POOLER: pooler, DB_STATEMENT_TIMEOUT_MS: '300', DB_POOL_MAX: '8' });

  it('without the setting the pool cannot even connect: PgBouncer refuses its startup settings', async () => {
    const c = configFor('none');
    const direct = createDatabase(c.db.url!, { ...c.db.pool, connectTimeoutS: 5 });
    try {
      expect((await failure(direct.db.execute(sql`SELECT 1`)))?.message).toMatch(/unsupported startup parameter/);
    } finally {
      await direct.close();
    }
  });

  it('with DATABASE_POOLER=pgbouncer: statements and transactions share two server connections; the timeouts are the role’s', async () => {
    const c = configFor('pgbouncer');
    await migrateAsConfigured(c, c.db.url!); // on DATABASE_DIRECT_URL: the lock is a session's
    database = createDatabase(c.db.url!, c.db.pool);
    const db = database.db;
    // 60 interleaved statements of 3 texts and transactions, 8 clients over 2 server connections:
    // a named statement of one transaction would be missing on the next one's connection
    const work = Array.from({ length: 60 }, (_, i) => {
      if (i % 3 === 0) return db.execute<{ n: number }>(sql`SELECT ${i}::int AS n`).then((r) => r[0]!.n);
      if (i % 3 === 1) return db.select({ n: sql<number>`count(*)::int` }).from(churches).then((r) => r[0]!.n + i);
      return db.transaction(async (tx) => {
        const [a] = await tx.execute<{ n: number }>(sql`SELECT ${i}::int + 1 AS n`);
        const [b] = await tx.execute<{ n: number }>(sql`SELECT ${a!.n}::int - 1 AS n`);
        return b!.n;
      });
    });
    const results = await Promise.all(work);
    expect(results).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const [t] = await db.execute<{ statement_timeout: string; idle: string }>(
      sql`SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('idle_in_transaction_session_timeout') AS idle`,
    );
    expect(t).toEqual({ statement_timeout: '300ms', idle: '10s' });
    expect(await failure(db.execute(sql`SELECT pg_sleep(2)`))).toMatchObject({ code: '57014' }); // canceled by statement_timeout
  });
});

describe.skipIf(!available)('the API through PgBouncer', () => {
  let bouncer: Bouncer;
  let s: TestServer;
  beforeAll(async () => {
    bouncer = await startPgBouncer({ poolSize: 2 });
    s = await startTestServer('pgbouncer_api', { DATABASE_POOLER: 'pgbouncer' }, { poolUrl: (url) => bouncer.via(url) });
  });
  afterAll(async () => {
    await s?.close();
    await bouncer?.stop();
  });

  it('signs in, pages the directory and writes, concurrently', async () => {
    const x = await seedChurch(s, { members: 30 });
    const staff = await s.userWith('bouncer-staff@example.org', [[x.churchId, 'staff']]);
    const page = 'query($c: ID!) { members(churchId: $c, first: 5) { totalCount nodes { firstName household { name } groups { name } } } }';
    const create = 'mutation($c: ID!, $n: String!) { createMember(input: { churchId: $c, firstName: "Via", lastName: $n, status: VISITOR }) { id } }';
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 ? s.gql<any>(page, { c: String(x.churchId) }, staff.headers) : s.gql<any>(create, { c: String(x.churchId), n: `Bouncer ${i}` }, staff.headers))),
    );
    for (const a of answers) expect(a.errors, JSON.stringify(a.errors)).toBeUndefined();
    const after = await s.gql<any>(page, { c: String(x.churchId) }, staff.headers);
    expect(after.data.members.totalCount).toBe(30 + 12);
  });

  it('PgBouncer gone: SERVICE_UNAVAILABLE (503, retry), not an internal error', async () => {
    const x = await seedChurch(s, { members: 2 });
    const staff = await s.userWith('bouncer-gone@example.org', [[x.churchId, 'staff']]);
    await bouncer.stop();
    // a statement on a pooled connection PgBouncer closed, then one that cannot connect
    for (let i = 0; i < 2; i++) {
      const r = await s.gql<any>('query($c: ID!) { members(churchId: $c, first: 5) { totalCount } }', { c: String(x.churchId) }, staff.headers);
      expect(r.status).toBe(503);
      expect(r.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(r.headers.get('retry-after')).toBe('1');
    }
  });
});
