import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSynthetic } from '../src/db/seed.js';
import { optedOutPhones } from '../src/modules/member/consent.queries.js';
import { claimRecipient } from '../src/modules/message/recipient.queries.js';
import { claimForReconcile } from '../src/modules/message/reconcile.queries.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { recipientPartitionsWithRows, seqScanOn } from './helpers/plans.js';

// The access paths added for the reconciler (10.13) and per-number consent (10.14), EXPLAINed as
// the code sends them, on enough rows that PostgreSQL would rather scan than use a useless index:
// 100,000 recipients of which 600 are SENT, and 20,000 numbers with a consent record.
let s: TestServer;
let sql: postgres.Sql;
let churchId: number;

class Rollback extends Error {}

beforeAll(async () => {
  s = await startTestServer('dexplain', { CACHE_ENABLED: 'false' });
  sql = postgres(s.config.db.url!, { max: 1, onnotice: () => {} });
  await seedSynthetic(sql, { churches: 20, membersPerChurch: 500, seed: 11, asOf: '2026-01-01' });
  await s.grantAll();
  await sql`
    INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number, completed_at)
    SELECT c.id, 'seeded', '{}'::jsonb, 'completed', now() - i * interval '1 day', 'gsm7', 1, 500, 0, 4.15, '+18335550100', now()
    FROM churches c CROSS JOIN generate_series(1, 10) AS i`;
  await sql`
    INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, provider_sid, sent_at, delivered_at, attempts, created_at)
    SELECT m.church_id, m.id, p.id, p.phone, 'delivered', 'SM' || md5(m.id || '-' || p.id), m.send_at, m.send_at, 1, m.created_at
    FROM messages m JOIN members p ON p.church_id = m.church_id`;
  // 300 never asked about, 300 asked before (half of those due again)
  await sql`
    UPDATE message_recipients SET status = 'sent', delivered_at = NULL, sent_at = now() - interval '2 hours'
    WHERE id IN (SELECT id FROM message_recipients ORDER BY id DESC LIMIT 300)`;
  await sql`
    UPDATE message_recipients SET status = 'sent', delivered_at = NULL, sent_at = now() - interval '3 hours',
      reconcile_checks = 1, reconcile_at = now() + (CASE WHEN id % 2 = 0 THEN 1 ELSE -1 END) * interval '10 minutes'
    WHERE id IN (SELECT id FROM message_recipients WHERE status = 'delivered' ORDER BY id DESC LIMIT 300)`;
  await sql`
    INSERT INTO sms_consents (church_id, phone, opted_out_at, via)
    SELECT c.id, '+1555' || lpad((c.id * 1000 + i)::text, 7, '0'), CASE WHEN i % 3 = 0 THEN NULL ELSE now() END, 'keyword:STOP'
    FROM churches c CROSS JOIN generate_series(1, 1000) AS i`;
  await sql`SET default_statistics_target = 1000`;
  await sql`ANALYZE`;
  const [c] = await sql<[{ id: number }]>`SELECT id FROM churches ORDER BY id LIMIT 1 OFFSET 10`;
  churchId = c.id;
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await s?.close();
});

/** Runs `fn` in a transaction that is rolled back, then EXPLAINs the statement matching `marker`. */
async function planOf(fn: (tx: typeof s.database.db) => Promise<unknown>, marker: RegExp): Promise<string> {
  s.database.statements.reset();
  await s.database.db
    .transaction(async (tx) => {
      await fn(tx as unknown as typeof s.database.db);
      throw new Rollback();
    })
    .catch((e) => {
      if (!(e instanceof Rollback)) throw e;
    });
  const stmt = s.database.statements.recent.find((q) => marker.test(q.query));
  expect(stmt, 'statement not captured').toBeDefined();
  const rows = await sql.unsafe(`EXPLAIN (FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]);
  return JSON.stringify(rows[0]!['QUERY PLAN']);
}


describe('EXPLAIN: reconciler and consent access paths', () => {
  it('the reconciler claim reads message_recipients_reconcile_new_idx and _due_idx, never the whole table', async () => {
    const plan = await planOf((tx) => claimForReconcile(tx, { afterS: 600, horizonS: 72 * 3600, leaseS: 60, limit: 100 }), /WITH due AS/);
    expect(plan).toContain('message_recipients_reconcile_new_idx');
    expect(plan).toContain('message_recipients_reconcile_due_idx');
    expect(seqScanOn(plan, 'message_recipients', await recipientPartitionsWithRows(sql))).toBe(false);
  });

  it('the worker’s consent re-check before a send probes sms_consents_pkey', async () => {
    const [r] = await sql<[{ id: number }]>`SELECT id FROM message_recipients WHERE church_id = ${churchId} ORDER BY id LIMIT 1`;
    await sql`UPDATE message_recipients SET status = 'queued' WHERE id = ${r.id}`;
    const plan = await planOf((tx) => claimRecipient(tx, r.id, 30), /sms_consents/);
    expect(plan).toContain('sms_consents_pkey');
    expect(plan).toContain('members_church_phone_idx');
    expect(seqScanOn(plan, 'sms_consents')).toBe(false);
    await sql`UPDATE message_recipients SET status = 'delivered' WHERE id = ${r.id}`;
  });

  it('an audience checks each number in sms_consents_pkey', async () => {
    const people = await sql<{ id: number }[]>`SELECT id FROM members WHERE church_id = ${churchId} AND phone IS NOT NULL ORDER BY id LIMIT 20`;
    s.database.statements.reset();
    const r = await s.gql('query($c: ID!, $a: AudienceInput!) { previewMessage(churchId: $c, body: "Hi", audience: $a) { recipientCount } }', {
      c: String(churchId),
      a: { memberIds: people.map((p) => String(p.id)) },
    });
    expect(r.errors).toBeUndefined();
    const stmt = s.database.statements.recent.find((q) => /sms_consents[\s\S]*FROM members m/.test(q.query));
    expect(stmt, 'statement not captured').toBeDefined();
    const rows = await sql.unsafe(`EXPLAIN (FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]);
    const plan = JSON.stringify(rows[0]!['QUERY PLAN']);
    expect(plan).toContain('sms_consents_pkey');
    expect(seqScanOn(plan, 'sms_consents')).toBe(false);
  });

  it('a member write looks its number up in sms_consents_pkey', async () => {
    const plan = await planOf((tx) => optedOutPhones(tx, churchId, [`+1555${String(churchId * 1000 + 1).padStart(7, '0')}`]), /FROM sms_consents/);
    expect(plan).toContain('sms_consents_pkey');
    expect(seqScanOn(plan, 'sms_consents')).toBe(false);
  });
});
