import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, runMigrations } from '../src/db/migrate.js';
import {
  createPartition,
  detachExpired,
  ensurePartitions,
  expiredPartitions,
  listPartitions,
  monthStart,
  partitionName,
} from '../src/db/partitions.js';
import { createLogger } from '../src/lib/logger.js';
import { claimRecipients, markSentMany } from '../src/modules/message/recipient.queries.js';
import { createPartitionMaintenance } from '../worker/partitions.js';
import { adminSql, dbUrl } from './helpers/db.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { partitionsRead } from './helpers/plans.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// Issue 13, item 4: message_recipients partitioned by month (src/db/partitions.ts, drizzle/0009).

const SEND = `mutation($c: ID!, $a: AudienceInput!) { sendMessage(churchId: $c, body: "Partitioned hello", audience: $a) { id } }`;
const COUNTS = `query($id: ID!) { message(id: $id) { id recipientCount recipientsArchivedAt counts { delivered failed skipped total }
  recipients(first: 50) { totalCount nodes { id status } } } }`;

describe('drizzle/0009: the migration moves existing rows into monthly partitions', () => {
  const name = `steeple_test_partmove_${process.pid}`;
  let folder: string;
  let sql: postgres.Sql;

  beforeAll(async () => {
    // the migrations up to 0008: a database as it was before this one
    folder = mkdtempSync(path.join(os.tmpdir(), 'steeple-mig-'));
    cpSync(MIGRATIONS_DIR, folder, { recursive: true });
    const journalFile = path.join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
    journal.entries = journal.entries.filter((e) => e.tag < '0009');
    writeFileSync(journalFile, JSON.stringify(journal));
    await adminSql((a) => a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => a.unsafe(`CREATE DATABASE ${name}`)));
    await runMigrations(dbUrl(name), { migrationsFolder: folder });
    sql = postgres(dbUrl(name), { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await sql?.end();
    await adminSql((a) => a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    rmSync(folder, { recursive: true, force: true });
  });

  it('every row lands in its message’s month, ids kept, the identity goes on after them; indexes and keys hold', async () => {
    const [c] = await sql<[{ id: number }]>`
      INSERT INTO churches (name, slug, time_zone, sms_from_number) VALUES ('Old Church', 'old-church', 'America/Chicago', '+13125550111') RETURNING id`;
    await sql`INSERT INTO members (church_id, first_name, last_name, phone, status)
      SELECT ${c.id}, 'Old', 'Person ' || i, '+1312555' || lpad(i::text, 4, '0'), 'member' FROM generate_series(1, 6) i`;
    // three messages, in January 2025, June 2025 and now; the recipients' own created_at is
    // whatever it was (0009 makes it the message's)
    const months = ['2025-01-15 12:00Z', '2025-06-30 23:59:59.999999Z', null];
    for (const at of months) {
      await sql`
        WITH m AS (
          INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number, created_at)
          VALUES (${c.id}, 'Before 0009', '{}'::jsonb, 'completed', coalesce(${at}::timestamptz, now()), 'gsm7', 1, 6, 0, 0, '+13125550111', coalesce(${at}::timestamptz, now()))
          RETURNING id)
        INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, provider_sid, created_at)
        SELECT ${c.id}, m.id, p.id, p.phone, CASE WHEN p.id % 3 = 0 THEN 'failed' ELSE 'delivered' END::recipient_status, 'SMold' || m.id || '_' || p.id, now()
        FROM m, members p WHERE p.church_id = ${c.id}`;
    }
    // a deleted row: its id is not handed out again
    const [removed] = await sql<[{ id: number; message_id: number; member_id: number }]>`
      DELETE FROM message_recipients WHERE id = (SELECT max(id) FROM message_recipients) RETURNING id, message_id, member_id`;
    const before = await sql<Array<{ id: number; message_id: number; status: string; provider_sid: string }>>`
      SELECT id, message_id, status::text, provider_sid FROM message_recipients ORDER BY id`;
    const [{ last }] = await sql<[{ last: number }]>`SELECT last_value::int AS last FROM message_recipients_id_seq`;

    await runMigrations(dbUrl(name));

    const [{ kind }] = await sql<[{ kind: string }]>`SELECT relkind::text AS kind FROM pg_class WHERE relname = 'message_recipients'`;
    expect(kind).toBe('p');
    const after = await sql<Array<{ id: number; message_id: number; status: string; provider_sid: string; part: string; month_ok: boolean }>>`
      SELECT r.id, r.message_id, r.status::text, r.provider_sid, r.tableoid::regclass::text AS part,
             r.created_at = m.created_at AS month_ok
      FROM message_recipients r JOIN messages m ON m.id = r.message_id ORDER BY r.id`;
    expect(after.map(({ id, message_id, status, provider_sid }) => ({ id, message_id, status, provider_sid }))).toEqual(before);
    expect(after.every((r) => r.month_ok)).toBe(true);
    const now = new Date();
    expect(new Set(after.map((r) => r.part))).toEqual(new Set(['message_recipients_y2025m01', 'message_recipients_y2025m06', partitionName(monthStart(now))]));
    // a partition for every month from the oldest through three ahead
    const parts = await listPartitions(sql);
    expect(parts[0]!.name).toBe('message_recipients_y2025m01');
    expect(parts.at(-1)!.name).toBe(partitionName(monthStart(now, 3)));
    for (let i = 1; i < parts.length; i++) expect(parts[i]!.from.getTime()).toBe(parts[i - 1]!.to.getTime());
    // the identity goes on from where it was: the deleted row's id is not handed out again
    const [next] = await sql<[{ id: number }]>`
      INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, created_at)
      SELECT m.church_id, m.id, ${removed.member_id}, NULL, 'skipped', m.created_at FROM messages m WHERE m.id = ${removed.message_id}
      RETURNING id`;
    expect(last).toBe(removed.id);
    expect(next.id).toBe(last + 1);
    // each partition's indexes bear the parent's names, and its own unique provider id
    const idx = await sql<Array<{ name: string }>>`
      SELECT c.relname AS name FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indrelid = 'message_recipients_y2025m06'::regclass ORDER BY 1`;
    expect(idx.map((i) => i.name)).toEqual(
      [
        'church_failed_idx', 'member_idx', 'message_member_key', 'message_status_idx', 'pending_idx', 'pkey',
        'reconcile_due_idx', 'reconcile_new_idx', 'sent_idx', 'sid_key',
      ].map((n) => `message_recipients_${n}_y2025m06`),
    );
    await expect(sql`UPDATE message_recipients SET provider_sid = ${before[1]!.provider_sid} WHERE id = ${before[0]!.id}`).rejects.toMatchObject({ code: '23505' });
    // the foreign key holds a row to its message's month
    await expect(
      sql`INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, created_at) VALUES (${c.id}, ${before[0]!.message_id}, ${before[0]!.id}, NULL, 'skipped', now())`,
    ).rejects.toMatchObject({ code: '23503' });
  });
});

describe('partitions at work', () => {
  let s: TestServer;
  let church: SeededChurch;
  const sql = () => s.database.sql;

  beforeAll(async () => {
    s = await startTestServer('partitions', { CACHE_ENABLED: 'false' });
    church = await seedChurch(s, { members: 8 });
    await sql()`UPDATE churches SET sms_from_number = '+13125550177' WHERE id = ${church.churchId}`;
    await s.grantAll();
  });

  afterAll(async () => {
    await s?.close();
  });

  it('a send in a month whose partition is missing makes it and goes through', async () => {
    const month = partitionName(monthStart(new Date()));
    const [{ n }] = await sql()<[{ n: number }]>`SELECT count(*)::int AS n FROM message_recipients`;
    expect(n).toBe(0);
    await sql().unsafe(`DROP TABLE ${month}`);
    expect((await listPartitions(sql())).map((p) => p.name)).not.toContain(month);
    const r = await s.gql<any>(SEND, { c: String(church.churchId), a: { everyone: true } }, s.adminHeaders);
    expect(r.errors).toBeUndefined();
    expect((await listPartitions(sql())).map((p) => p.name)).toContain(month);
    const [{ part, rows }] = await sql()<[{ part: string; rows: number }]>`
      SELECT min(tableoid::regclass::text) AS part, count(*)::int AS rows FROM message_recipients WHERE message_id = ${Number(r.data.sendMessage.id)}`;
    expect(part).toBe(month);
    expect(rows).toBeGreaterThan(0);
  });

  it('ensurePartitions makes the months ahead, once, also when two processes race', async () => {
    const future = monthStart(new Date(), 14);
    const made = await Promise.all([ensurePartitions(sql(), 2, future), ensurePartitions(sql(), 2, future)]);
    const names = [0, 1, 2].map((i) => partitionName(monthStart(future, i)));
    const have = (await listPartitions(sql())).map((p) => p.name);
    for (const n of names) expect(have).toContain(n);
    // each month was made (at least once; the loser of a race finds it made)
    expect(new Set(made.flat())).toEqual(new Set(names));
    expect(await ensurePartitions(sql(), 2, future)).toEqual([]);
  });

  it('a page of a message’s recipients and its counts read its own month only', async () => {
    const r = await s.gql<any>(SEND, { c: String(church.churchId), a: { everyone: true } }, s.adminHeaders);
    const id = Number(r.data.sendMessage.id);
    const plan = async (query: string) => JSON.stringify((await sql().unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${query}`))[0]!['QUERY PLAN']);
    const executed = (p: string) => partitionsRead(p, 'message_recipients');
    const month = partitionName(monthStart(new Date()));
    // Message.recipients (src/modules/message/message.queries.ts pageRecipients)
    const page = await plan(
      `SELECT id FROM message_recipients WHERE message_id = ${id} AND created_at = (SELECT m.created_at FROM messages m WHERE m.id = ${id}) ORDER BY id LIMIT 11`,
    );
    expect(executed(page)).toEqual([month]);
    // the counts (recipient.queries.ts deliveryCounts), pruned per message at run time
    const counts = await plan(
      `SELECT m.id, r.status, count(r.id) FROM messages m LEFT JOIN message_recipients r ON r.message_id = m.id AND r.created_at = m.created_at AND r.church_id = m.church_id WHERE m.id = ANY('{${id}}'::int[]) GROUP BY 1, 2`,
    );
    expect(executed(counts)).toEqual([month]);
    expect((await listPartitions(sql())).length).toBeGreaterThan(4);
  });

  it('the worker’s claims and records name the message, and read its month only', async () => {
    const r = await s.gql<any>(SEND, { c: String(church.churchId), a: { everyone: true } }, s.adminHeaders);
    const messageId = Number(r.data.sendMessage.id);
    const ids = (await sql()<Array<{ id: number }>>`SELECT id FROM message_recipients WHERE message_id = ${messageId} ORDER BY id`).map((x) => x.id);
    expect(ids.length).toBeGreaterThan(2);
    const month = partitionName(monthStart(new Date()));
    const executedIn = async (run: (db: typeof s.database.db) => Promise<unknown>, marker: RegExp) => {
      s.database.statements.reset();
      await run(s.database.db);
      const stmt = s.database.statements.recent.find((q) => marker.test(q.query));
      expect(stmt, 'statement not captured').toBeDefined();
      // EXPLAIN ANALYZE runs it: in a transaction that is rolled back
      let plan = '';
      await sql()
        .begin(async (tx) => {
          plan = JSON.stringify((await tx.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]))[0]!['QUERY PLAN']);
          throw new Error('rollback');
        })
        .catch((e: Error) => {
          if (e.message !== 'rollback') throw e;
        });
      return partitionsRead(plan, 'message_recipients');
    };
    expect((await listPartitions(sql())).length).toBeGreaterThan(4);
    expect(await executedIn((db) => claimRecipients(db, ids, 30, messageId), /WITH prev AS/)).toEqual([month]);
    // (the first run above claimed them all for real: they are being sent)
    const [{ status }] = await sql()<[{ status: string }]>`SELECT status::text FROM message_recipients WHERE id = ${ids[2]!}`;
    expect(status).toBe('sending');
    expect(
      await executedIn((db) => markSentMany(db, [{ id: ids[2]!, messageId, sid: `SMmonth${ids[2]}`, providerStatus: 'queued' }]), /provider_sid = v\.sid/),
    ).toEqual([month]);
  });

  it('past the retention a month is detached: its messages keep their counts, the rows go to archive (or are dropped)', async () => {
    // a message of March 2024 with five delivered and three failed texts
    const march = new Date(Date.UTC(2024, 2, 1));
    await createPartition((t) => sql().unsafe(t), march);
    const [m] = await sql()<[{ id: number }]>`
      INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number, created_at, completed_at)
      VALUES (${church.churchId}, 'Easter', '{"everyone":true,"statuses":[],"groupIds":[],"memberIds":[]}', 'completed', '2024-03-20 15:00Z', 'gsm7', 1, 8, 0, 0.1264, '+13125550177', '2024-03-20 14:00Z', '2024-03-20 16:00Z')
      RETURNING id`;
    await sql()`
      INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, provider_sid, created_at)
      SELECT ${church.churchId}, ${m.id}, p.id, p.phone, CASE WHEN row_number() OVER (ORDER BY p.id) <= 5 THEN 'delivered' ELSE 'failed' END::recipient_status,
             'SMeaster' || p.id, '2024-03-20 14:00Z'
      FROM members p WHERE p.church_id = ${church.churchId}`;
    const read = async () => (await s.gql<any>(COUNTS, { id: String(m.id) }, s.adminHeaders)).data.message;
    const live = await read();
    expect(live.counts).toEqual({ delivered: 5, failed: 3, skipped: 0, total: 8 });
    expect(live.recipients.totalCount).toBe(8);
    expect(live.recipientsArchivedAt).toBeNull();
    const dashboard = `query($c: ID!) { analytics(churchId: $c, period: { from: "2024-03-01", to: "2024-03-31" }) { messaging { messages recipients textsSent delivered failed } } }`;
    const dashBefore = (await s.gql<any>(dashboard, { c: String(church.churchId) }, s.adminHeaders)).data.analytics.messaging;
    expect(dashBefore).toEqual({ messages: 1, recipients: 8, textsSent: 8, delivered: 5, failed: 3 });

    // 24 months of retention, as of May 2026: March 2024 ended before May 2024, so it goes
    const asOf = new Date(Date.UTC(2026, 4, 10));
    expect(expiredPartitions(await listPartitions(sql()), 24, asOf).map((p) => p.name)).toEqual(['message_recipients_y2024m03']);
    expect(expiredPartitions(await listPartitions(sql()), 0, asOf)).toEqual([]);
    const detached = await detachExpired(sql(), { retentionMonths: 24, detached: 'archive' }, asOf);
    expect(detached).toEqual([{ name: 'message_recipients_y2024m03', messages: 1, rows: 8, archivedAs: 'archive.message_recipients_y2024m03' }]);
    expect((await listPartitions(sql())).map((p) => p.name)).not.toContain('message_recipients_y2024m03');
    const [{ n: archived }] = await sql()<[{ n: number }]>`SELECT count(*)::int AS n FROM archive.message_recipients_y2024m03`;
    expect(archived).toBe(8);

    const gone = await read();
    expect(gone.counts).toEqual(live.counts);
    expect(gone.recipientCount).toBe(8);
    expect(gone.recipients.nodes).toEqual([]);
    expect(gone.recipientsArchivedAt).not.toBeNull();
    expect((await s.gql<any>(dashboard, { c: String(church.churchId) }, s.adminHeaders)).data.analytics.messaging).toEqual(dashBefore);
    // a second pass has nothing to do
    expect(await detachExpired(sql(), { retentionMonths: 24, detached: 'archive' }, asOf)).toEqual([]);

    // the drop setting: April 2024, detached and dropped
    const april = new Date(Date.UTC(2024, 3, 1));
    await createPartition((t) => sql().unsafe(t), april);
    const dropped = await detachExpired(sql(), { retentionMonths: 24, detached: 'drop' }, new Date(Date.UTC(2026, 5, 2)));
    expect(dropped).toEqual([{ name: 'message_recipients_y2024m04', messages: 0, rows: 0, archivedAs: null }]);
    const [{ t }] = await sql()<[{ t: string | null }]>`SELECT to_regclass('message_recipients_y2024m04')::text AS t`;
    expect(t).toBeNull();
  });

  it('the worker’s maintenance: one pass at a time across workers (a Redis lock); it makes the months ahead', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    const log = createLogger('silent');
    const lockKey = `test:${process.pid}:partitions:lock`;
    const settings = { ahead: 20, retentionMonths: 0, detached: 'archive' as const, intervalS: 3600 };
    try {
      const a = createPartitionMaintenance({ url: s.config.db.url!, settings, redis, lockKey, log });
      const b = createPartitionMaintenance({ url: s.config.db.url!, settings, redis, lockKey, log });
      const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
      // one took the lock and did the work; the other found it taken
      expect([ra, rb].filter((r) => r === null)).toHaveLength(1);
      const done = (ra ?? rb)!;
      expect(done.detached).toEqual([]);
      expect(done.created).toContain(partitionName(monthStart(new Date(), 20)));
      // released after the pass: the next one runs (and finds nothing to do)
      expect(await redis.exists(lockKey)).toBe(0);
      expect(await a.runOnce()).toEqual({ created: [], detached: [] });
    } finally {
      await redis.del(lockKey);
      redis.disconnect();
    }
  });
});
