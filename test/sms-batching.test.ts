/**
 * The drain's per-text statements, batched (src/lib/batcher.ts): the worker's claims and records of
 * accepted texts and the webhooks' status reports travel as one statement per batch, and each caller
 * still gets its own row's outcome, so the exactly-once rules hold row by row. Statements are
 * counted (a Database of the test's own), never timed.
 */
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/client.js';
import { Batcher, rowLevelSqlError } from '../src/lib/batcher.js';
import { createLogger } from '../src/lib/logger.js';
import { batchedStatusWriter } from '../src/modules/message/delivery.service.js';
import { parseWindow } from '../src/modules/message/quiet-hours.js';
import { applyProviderStatuses, claimRecipient, messageMonth, type StatusReport } from '../src/modules/message/recipient.queries.js';
import { ProgressPublisher } from '../src/realtime/publisher.js';
import { createSendSmsHandler, recipientWrites } from '../worker/handlers/send-sms.handler.js';
import { createLogProvider } from '../worker/sms/log.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { recipientPartitionsWithRows, seqScanOn } from './helpers/plans.js';

const log = createLogger('silent');
let s: TestServer;
let db: Database;
let churchId: number;
let memberSeq = 0;

beforeAll(async () => {
  s = await startTestServer('sms-batching', { CACHE_ENABLED: 'false' });
  db = createDatabase(s.config.db.url!, { ...s.config.db.pool, max: 4 }, log, 'sms-batching-test');
  const [c] = await s.database.sql<[{ id: number }]>`
    INSERT INTO churches (name, slug, time_zone, sms_from_number) VALUES ('Batch Church', 'batch-church', 'UTC', '+13125550170') RETURNING id`;
  churchId = c.id;
}, 60_000);

afterAll(async () => {
  await db?.close();
  await s?.close();
});

/** A message with `n` queued recipients (one member each); their ids in order. */
async function outbox(n: number, body = 'Batched'): Promise<{ messageId: number; ids: number[] }> {
  const first = memberSeq;
  memberSeq += n;
  const sql = s.database.sql;
  await sql`
    INSERT INTO members (church_id, first_name, last_name, phone, status)
    SELECT ${churchId}, 'Batch', 'Person ' || i, '+1312' || lpad(i::text, 7, '0'), 'member' FROM generate_series(${first + 1}::int, ${first + n}::int) i`;
  const [m] = await sql<[{ id: number }]>`
    INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number)
    VALUES (${churchId}, ${body}, '{}'::jsonb, 'sending', now(), 'gsm7', 1, ${n}, 0, 0, '+13125550170') RETURNING id`;
  const rows = await sql<{ id: number }[]>`
    INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, created_at)
    SELECT church_id, ${m.id}, id, phone, 'queued', (SELECT created_at FROM messages WHERE id = ${m.id}) FROM members
    WHERE church_id = ${churchId} AND last_name IN (SELECT 'Person ' || i FROM generate_series(${first + 1}::int, ${first + n}::int) i)
    ORDER BY id RETURNING id`;
  // a worker looks up a message's month once (messageMonth), before its first claim of it; the
  // statements counted below are the batches'
  expect(await messageMonth(s.database.db, m.id)).toBeInstanceOf(Date);
  return { messageId: m.id, ids: rows.map((r) => r.id).sort((a, b) => a - b) };
}

/** Statements `fn` sends through the test's Database. */
async function counted<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const before = db.statements.count;
  const result = await fn();
  return { result, statements: db.statements.count - before };
}


async function statusOf(ids: number[]): Promise<string[]> {
  const rows = await s.database.sql<{ id: number; status: string }[]>`SELECT id, status FROM message_recipients WHERE id = ANY(string_to_array(${ids.join(',')}, ',')::int[])`;
  const by = new Map(rows.map((r) => [r.id, r.status]));
  return ids.map((id) => by.get(id)!);
}

describe('Batcher', () => {
  it('concurrent loads in one turn of the event loop travel as one batch, each caller getting its own result', async () => {
    const calls: number[][] = [];
    const b = new Batcher<number, number>(async (xs) => (calls.push(xs), xs.map((x) => x * 10)), { keys: (x) => [x] });
    const results = await Promise.all([1, 2, 3, 4, 5].map((x) => b.load(x)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(calls).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('items for the same row never share a batch: the later one waits for the next, in arrival order', async () => {
    const calls: string[][] = [];
    const b = new Batcher<string, string>(async (xs) => (calls.push(xs), xs), { keys: (x) => [x.split(':')[0]!] });
    await Promise.all(['a:1', 'a:2', 'b:1', 'a:3', 'c:1'].map((x) => b.load(x)));
    expect(calls).toEqual([['a:1', 'b:1', 'c:1'], ['a:2'], ['a:3']]);
  });

  it('while a batch runs, new items gather into the next one (one statement at a time)', async () => {
    const calls: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number, number>(
      async (xs) => {
        calls.push(xs);
        if (calls.length === 1) await gate;
        return xs;
      },
      { keys: (x) => [x] },
    );
    const first = b.load(1);
    await new Promise((r) => setImmediate(r));
    const rest = [2, 3, 4, 5].map((x) => b.load(x));
    await new Promise((r) => setImmediate(r));
    expect(b.waiting).toBe(4);
    release();
    await Promise.all([first, ...rest]);
    expect(calls).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('maxSize splits a crowd into several statements', async () => {
    const sizes: number[] = [];
    const b = new Batcher<number, number>(async (xs) => (sizes.push(xs.length), xs), { keys: (x) => [x], maxSize: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => b.load(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('a batch refused for one row’s data runs again item by item: only that caller sees the error', async () => {
    const violation = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    const b = new Batcher<number, number>(
      async (xs) => {
        if (xs.includes(3)) throw violation;
        return xs;
      },
      { keys: (x) => [x], retryAlone: rowLevelSqlError },
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((x) => b.load(x)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(b.batches).toBe(5); // the batch, then each of its four alone
  });

  it('any other failure of the statement is every caller’s', async () => {
    const b = new Batcher<number, number>(
      async () => {
        throw new Error('connection lost');
      },
      { keys: (x) => [x], retryAlone: rowLevelSqlError },
    );
    const results = await Promise.allSettled([1, 2].map((x) => b.load(x)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(b.batches).toBe(1);
  });
});

describe('claims: one statement for many, a lease per row', () => {
  it('50 concurrent claims are one statement, and each job gets its own row', async () => {
    const { ids, messageId } = await outbox(50);
    const writes = recipientWrites(db.db, 30);
    const { result, statements } = await counted(() => Promise.all(ids.map((id) => writes.claims.load({ id, messageId }))));
    expect(statements).toBe(1);
    expect(result.map((c) => c?.id)).toEqual(ids);
    expect(result.every((c) => c!.attempts === 1 && c!.previousStatus === 'queued' && c!.body === 'Batched')).toBe(true);
    expect(new Set(await statusOf(ids))).toEqual(new Set(['sending']));
  });

  it('a row claimed by another worker, and one another transaction holds, give null for those alone', async () => {
    const { ids, messageId } = await outbox(10);
    const [taken, held] = [ids[2]!, ids[7]!];
    expect(await claimRecipient(s.database.db, taken, 30)).not.toBeNull(); // another worker's lease
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = s.database.sql.begin(async (tx) => {
      await tx`SELECT id FROM message_recipients WHERE id = ${held} FOR UPDATE`;
      locked();
      await new Promise<void>((r) => (release = r));
    });
    await isLocked;
    try {
      const writes = recipientWrites(db.db, 30);
      const { result, statements } = await counted(() => Promise.all(ids.map((id) => writes.claims.load({ id, messageId }))));
      expect(statements).toBe(1);
      expect(result.map((c, i) => (c ? ids[i] : null))).toEqual(ids.map((id) => (id === taken || id === held ? null : id)));
    } finally {
      release();
      await holder;
    }
    // the held one was never touched: still queued, for its own job's next look
    expect(await statusOf([taken, held])).toEqual(['sending', 'queued']);
  });

  it('the same recipient twice at once (two rounds’ jobs): one claim, the other gets null', async () => {
    const { ids, messageId } = await outbox(1);
    const writes = recipientWrites(db.db, 30);
    const { result, statements } = await counted(() => Promise.all([writes.claims.load({ id: ids[0]!, messageId }), writes.claims.load({ id: ids[0]!, messageId })]));
    expect(result.filter(Boolean)).toHaveLength(1);
    expect(statements).toBe(2);
    const [row] = await s.database.sql<[{ attempts: number }]>`SELECT attempts FROM message_recipients WHERE id = ${ids[0]!}`;
    expect(row.attempts).toBe(1);
  });
});

describe('records of accepted texts', () => {
  it('one statement; a row no longer held records nothing; a provider id already on another row fails that record alone', async () => {
    const { ids, messageId } = await outbox(6);
    const writes = recipientWrites(db.db, 30);
    await Promise.all(ids.map((id) => writes.claims.load({ id, messageId })));
    // another actor ended the fourth (an operator's cancel, a failure): the record must not revive it
    await s.database.sql`UPDATE message_recipients SET status = 'failed' WHERE id = ${ids[3]!}`;
    const first = await counted(() => Promise.all(ids.slice(0, 5).map((id) => writes.sent.load({ id, messageId, sid: `SMbatch${id}`, providerStatus: 'queued' }))));
    expect(first.statements).toBe(1);
    expect(first.result).toEqual([true, true, true, false, true]);

    // the last one's provider id is already another row's (a unique violation): the batch runs
    // again row by row, and only that record fails
    const { ids: more, messageId: moreMessage } = await outbox(4);
    await Promise.all(more.map((id) => writes.claims.load({ id, messageId: moreMessage })));
    const clash = await counted(() =>
      Promise.allSettled(more.map((id, i) => writes.sent.load({ id, messageId: moreMessage, sid: i === 3 ? `SMbatch${ids[0]!}` : `SMmore${id}`, providerStatus: 'queued' }))),
    );
    expect(clash.result.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(clash.statements).toBe(1 + 4);
    expect(await statusOf(ids)).toEqual(['sent', 'sent', 'sent', 'failed', 'sent', 'sending']);
    expect(await statusOf(more)).toEqual(['sent', 'sent', 'sent', 'sending']);
  });
});

describe('status reports: one statement for many, every rule of applyProviderStatus', () => {
  it('forward only, the sending episode, the attempt, the provider id, idempotent repeats', async () => {
    const { ids, messageId } = await outbox(6);
    const sql = s.database.sql;
    const [a, b, c, d, e, f] = ids as [number, number, number, number, number, number];
    // a: being sent, no provider id yet (the report beats the worker's record); b: sent, has its id;
    // c: delivered already; d: being sent in a later episode than the report's; e: being sent by
    // attempt 1, report from attempt 2 (not made yet); f: sent, reported by its provider id alone
    await sql`UPDATE message_recipients SET status = 'sending', attempts = 1, sending_at = now() - interval '1 second' WHERE id IN (${a}, ${d}, ${e})`;
    await sql`UPDATE message_recipients SET status = 'sent', attempts = 1, sending_at = now(), provider_sid = 'SMb' || id WHERE id IN (${b}, ${f})`;
    await sql`UPDATE message_recipients SET status = 'delivered', attempts = 1, sending_at = now(), provider_sid = 'SMc' || id WHERE id = ${c}`;
    const rows = await sql<{ id: number; episode: string; sid: string | null }[]>`
      SELECT id, (extract(epoch FROM sending_at) * 1000000)::bigint::text AS episode, provider_sid AS sid FROM message_recipients WHERE id = ANY(string_to_array(${ids.join(',')}, ',')::int[])`;
    const ep = new Map(rows.map((r) => [r.id, r.episode]));
    const tag = (id: number, attempt = 1, episode = ep.get(id)!) => ({ recipientId: id, attempt, episode });
    const reports: StatusReport[] = [
      { sid: `SMa${a}`, status: 'sent', providerStatus: 'sent', errorCode: null, tag: tag(a) },
      { sid: `SMb${b}`, status: 'delivered', providerStatus: 'delivered', errorCode: null, tag: tag(b) },
      { sid: `SMc${c}`, status: 'sent', providerStatus: 'sent', errorCode: null, tag: tag(c) },
      { sid: `SMd${d}`, status: 'delivered', providerStatus: 'delivered', errorCode: null, tag: tag(d, 1, String(BigInt(ep.get(d)!) - 5_000_000n)) },
      { sid: `SMe${e}`, status: 'delivered', providerStatus: 'delivered', errorCode: null, tag: tag(e, 2) },
      { sid: `SMb${f}`, status: 'undelivered', providerStatus: 'undelivered', errorCode: '30005' },
    ];
    const { result, statements } = await counted(() => applyProviderStatuses(db.db, reports));
    // the tagged ones in one statement, the one known only by its provider id in another
    expect(statements).toBe(2);
    expect(result.map((u) => u?.status ?? null)).toEqual(['sent', 'delivered', null, null, null, 'undelivered']);
    expect(result[0]).toMatchObject({ id: a, messageId, churchId });
    expect(await statusOf(ids)).toEqual(['sent', 'delivered', 'delivered', 'sending', 'sending', 'undelivered']);
    const [ra] = await sql<[{ provider_sid: string; lease_until: Date | null; sent_at: Date | null }]>`
      SELECT provider_sid, lease_until, sent_at FROM message_recipients WHERE id = ${a}`;
    expect(ra).toMatchObject({ provider_sid: `SMa${a}`, lease_until: null });
    expect(ra.sent_at).not.toBeNull();
    // the same reports again change nothing
    expect((await applyProviderStatuses(db.db, reports)).every((u) => u === null)).toBe(true);
  });

  it('webhooks arriving together are one statement; two reports for one row keep their order', async () => {
    const { ids } = await outbox(30);
    const sql = s.database.sql;
    await sql`UPDATE message_recipients SET status = 'sent', attempts = 1, sending_at = now(), provider_sid = 'SMw' || id WHERE id = ANY(string_to_array(${ids.join(',')}, ',')::int[])`;
    const write = batchedStatusWriter(db.db);
    const report = (id: number, status: 'sent' | 'delivered'): StatusReport => ({
      sid: `SMw${id}`,
      status,
      providerStatus: status,
      errorCode: null,
      tag: { recipientId: id, attempt: 1, episode: null },
    });
    const all = await counted(() => Promise.all(ids.map((id) => write(report(id, 'delivered')))));
    expect(all.statements).toBe(1);
    expect(all.result.every((u) => u?.status === 'delivered')).toBe(true);

    const [x] = await outbox(1).then((o) => o.ids);
    await sql`UPDATE message_recipients SET status = 'sending', attempts = 1, sending_at = now() WHERE id = ${x!}`;
    const pair = await counted(() => Promise.all([write({ ...report(x!, 'sent'), sid: 'SMpair' }), write({ ...report(x!, 'delivered'), sid: 'SMpair' })]));
    expect(pair.statements).toBe(2);
    expect(pair.result.map((u) => u?.status)).toEqual(['sent', 'delivered']);
    expect(await statusOf([x!])).toEqual(['delivered']);
  });
});

describe('statements per text during a drain', () => {
  it('40 texts sent at once by the handler: one claim statement and one record statement', async () => {
    const { ids, messageId } = await outbox(40, 'Drained together');
    const progress = new ProgressPublisher(async () => [], s.redis, 'test:sms-batching:', log, 60_000);
    const reports: string[] = [];
    const handler = createSendSmsHandler({
      db: db.db,
      // the log provider answers at once; its delivery reports are kept here, not applied
      provider: createLogProvider(log, (sid) => reports.push(sid), 0, () => undefined),
      progress,
      log,
      window: parseWindow('00:00', '24:00'),
      leaseS: 30,
      statusCallback: undefined,
    });
    const job = (recipientId: number) =>
      ({ data: { recipientId, messageId, churchId, round: 0 }, attemptsMade: 0, opts: { attempts: 3 } }) as unknown as Job;
    const { result, statements } = await counted(() => Promise.all(ids.map((id) => handler(job(id)))));
    await progress.close();
    expect(result.every((r) => r === 'sent')).toBe(true);
    expect(statements).toBe(2);
    expect(new Set(await statusOf(ids))).toEqual(new Set(['sent']));
  });
});

describe('EXPLAIN: the batched statements probe the primary key', () => {
  it('even when the statistics say no recipient is pending (taken before a send of thousands)', async () => {
    const sql = s.database.sql;
    // 20,000 delivered recipients, analysed; then a send writes 5,000 queued ones the statistics never saw
    await outbox(50, 'Members for the history');
    await sql`INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number)
      SELECT ${churchId}, 'History ' || g, '{}'::jsonb, 'completed', now(), 'gsm7', 1, 0, 0, 0, '+13125550170' FROM generate_series(1, 400) g`;
    await sql`
      INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, provider_sid, attempts, sent_at, delivered_at, created_at)
      SELECT ${churchId}, m.id, p.id, p.phone, 'delivered', 'SMk' || m.id || '_' || p.id, 1, now(), now(), m.created_at
      FROM (SELECT id, created_at FROM messages WHERE body LIKE 'History %') m CROSS JOIN LATERAL (SELECT id, phone FROM members WHERE church_id = ${churchId} ORDER BY id LIMIT 50) p`;
    await sql`VACUUM ANALYZE message_recipients`;
    const { ids, messageId } = await outbox(5000, 'Big send');
    const some = ids.slice(100, 140);

    const plans: Record<string, string> = {};
    const capture = async (name: string, marker: RegExp, fn: () => Promise<unknown>) => {
      db.statements.reset();
      await fn();
      const stmt = db.statements.recent.find((q) => marker.test(q.query));
      expect(stmt, `${name}: statement not captured`).toBeDefined();
      const rows = await sql.unsafe(`EXPLAIN (FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]);
      plans[name] = JSON.stringify(rows[0]!['QUERY PLAN']);
    };
    const writes = recipientWrites(db.db, 30);
    await capture('claim', /WITH prev AS/, () => Promise.all(some.map((id) => writes.claims.load({ id, messageId }))));
    await capture('record', /provider_sid = v\.sid, provider_status = v\.word/, () =>
      Promise.all(some.map((id) => writes.sent.load({ id, messageId, sid: `SMbig${id}`, providerStatus: 'queued' }))),
    );
    await capture('report', /jsonb_to_recordset[\s\S]*rid int/, () =>
      applyProviderStatuses(
        db.db,
        some.map((id) => ({ sid: `SMbig${id}`, status: 'delivered', providerStatus: 'delivered', errorCode: null, tag: { recipientId: id, attempt: 1, episode: null } })),
      ),
    );
    const full = await recipientPartitionsWithRows(sql);
    expect(full.length).toBeGreaterThan(0);
    for (const [name, plan] of Object.entries(plans)) {
      expect(plan, name).toContain('message_recipients_pkey');
      expect(plan, name).not.toContain('message_recipients_pending_idx');
      expect(seqScanOn(plan, 'message_recipients', full), name).toBe(false);
    }
  }, 60_000);
});
