import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSynthetic } from '../src/db/seed.js';
import { bounceRecipient, claimEmailRecipients, emailAudienceMembers, emailConsentOf, optOutEmail } from '../src/modules/message/email.queries.js';
import { customValues } from '../src/modules/message/custom-merge.js';
import { fieldsByChurch } from '../src/modules/field/field.queries.js';
import { pageSuppressions, suppressionOfChurch } from '../src/modules/message/suppression.queries.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { partitionsRead, recipientPartitionsWithRows, seqScanOn } from './helpers/plans.js';

// The email channel's access paths, EXPLAINed as the code sends them, on enough rows that
// PostgreSQL would rather scan than use a useless index: 10,000 people, 50,000 email recipients,
// a third of the people with an email consent row, 20,000 suppressed addresses.
let s: TestServer;
let sql: postgres.Sql;
let churchId: number;

class Rollback extends Error {}

beforeAll(async () => {
  s = await startTestServer('eexplain', { CACHE_ENABLED: 'false' });
  sql = postgres(s.config.db.url!, { max: 1, onnotice: () => {} });
  await seedSynthetic(sql, { churches: 20, membersPerChurch: 500, seed: 12, asOf: '2026-01-01' });
  await s.grantAll();
  await sql`
    INSERT INTO messages (church_id, channel, subject, body, audience, status, send_at, recipient_count, skipped_count, estimated_cost, from_address, completed_at)
    SELECT c.id, 'email', 'Seeded', 'seeded', '{}'::jsonb, 'completed', now() - i * interval '1 day', 500, 0, 0, 'office@example.org', now()
    FROM churches c CROSS JOIN generate_series(1, 5) AS i`;
  await sql`
    INSERT INTO message_recipients (church_id, message_id, member_id, channel, email, status, provider_sid, sent_at, delivered_at, attempts, created_at)
    SELECT m.church_id, m.id, p.id, 'email', lower(p.email), 'delivered', '<e' || m.id || '.' || p.id || '@example.org>', m.send_at, m.send_at, 1, m.created_at
    FROM messages m JOIN members p ON p.church_id = m.church_id WHERE p.email IS NOT NULL`;
  await sql`
    INSERT INTO email_consents (church_id, member_id, email, opted_out_at, via)
    SELECT church_id, id, lower(email), CASE WHEN id % 2 = 0 THEN now() END, 'unsubscribe:one-click' FROM members WHERE email IS NOT NULL AND id % 3 = 0`;
  await sql`INSERT INTO email_suppressions (email, reason) SELECT 'gone' || i || '@example.net', 'undeliverable' FROM generate_series(1, 20000) AS i`;
  await sql`SET default_statistics_target = 1000`;
  await sql`ANALYZE`;
  const [c] = await sql<[{ id: number }]>`SELECT id FROM churches ORDER BY id LIMIT 1 OFFSET 10`;
  churchId = c.id;
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await s?.close();
});

/** Runs `fn` in a transaction that is rolled back, then EXPLAINs (ANALYZE with `analyze`) the statement matching `marker`. */
async function planOf(fn: (tx: typeof s.database.db) => Promise<unknown>, marker: RegExp, analyze = false): Promise<string> {
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
  const explain = analyze ? 'EXPLAIN (ANALYZE, FORMAT JSON)' : 'EXPLAIN (FORMAT JSON)';
  const rows = await sql.begin(async (tx) => {
    const r = await tx.unsafe(`${explain} ${stmt!.query}`, stmt!.params as never[]);
    await tx`ROLLBACK`.catch(() => undefined);
    return r;
  }).catch(async () => sql.unsafe(`EXPLAIN (FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]));
  return JSON.stringify(rows[0]!['QUERY PLAN']);
}

describe('EXPLAIN: email access paths', () => {
  it('an email audience probes email_consents (person and address) and email_suppressions by index', async () => {
    const people = await sql<{ id: number }[]>`SELECT id FROM members WHERE church_id = ${churchId} AND email IS NOT NULL ORDER BY id LIMIT 50`;
    const plan = await planOf(
      (tx) => emailAudienceMembers(tx, churchId, { everyone: false, statuses: [], groupIds: [], memberIds: people.map((p) => p.id) }, 1000),
      /email_suppressions/,
    );
    expect(plan).toContain('email_consents_pkey');
    expect(plan).toContain('email_consents_church_email_idx');
    expect(plan).toContain('email_suppressions_pkey');
    expect(seqScanOn(plan, 'email_consents')).toBe(false);
    expect(seqScanOn(plan, 'email_suppressions')).toBe(false);
  });

  it('the worker’s claim reads its message’s month only, by primary key, and re-checks consent and suppression by index', async () => {
    const [r] = await sql<[{ id: number; message_id: number }]>`SELECT id, message_id FROM message_recipients WHERE church_id = ${churchId} ORDER BY id LIMIT 1`;
    await sql`UPDATE message_recipients SET status = 'queued' WHERE id = ${r.id}`;
    const plan = await planOf((tx) => claimEmailRecipients(tx, [r.id], 30, r.message_id), /email_suppressions s WHERE s\.email = r\.email/, true);
    expect(plan).toContain('email_consents_pkey');
    expect(plan).toContain('email_suppressions_pkey');
    expect(seqScanOn(plan, 'message_recipients', await recipientPartitionsWithRows(sql))).toBe(false);
    expect(partitionsRead(plan, 'message_recipients').length).toBe(1);
    await sql`UPDATE message_recipients SET status = 'delivered' WHERE id = ${r.id}`;
  });

  it('the claim of an email naming custom fields reads the person\'s values by the values\' primary key', async () => {
    // two fields in every church, a value for every person: 20,000 values
    await sql`INSERT INTO custom_fields (church_id, name, type) SELECT id, n, t::custom_field_type FROM churches,
              (VALUES ('Baptism date', 'date'), ('Allergies', 'text')) AS f(n, t) ON CONFLICT DO NOTHING`;
    await sql`INSERT INTO member_field_values (church_id, member_id, field_id, value_date, value_text)
              SELECT m.church_id, m.id, f.id, CASE WHEN f.type = 'date' THEN DATE '1990-01-01' + m.id % 9000 END, CASE WHEN f.type = 'text' THEN 'note ' || m.id END
              FROM members m JOIN custom_fields f ON f.church_id = m.church_id ON CONFLICT DO NOTHING`;
    await sql`ANALYZE member_field_values`;
    await sql`ANALYZE custom_fields`;
    const [r] = await sql<[{ id: number; message_id: number }]>`SELECT id, message_id FROM message_recipients WHERE church_id = ${churchId} ORDER BY id LIMIT 1 OFFSET 1`;
    await sql`UPDATE message_recipients SET status = 'queued' WHERE id = ${r.id}`;
    await sql`UPDATE messages SET body = 'Baptised {field.baptism_date}' WHERE id = ${r.message_id}`;
    const plan = await planOf((tx) => claimEmailRecipients(tx, [r.id], 30, r.message_id), /AS field_values/, true);
    expect(plan).toContain('member_field_values_pkey');
    expect(seqScanOn(plan, 'member_field_values')).toBe(false);
    await sql`UPDATE message_recipients SET status = 'delivered' WHERE id = ${r.id}`;
    await sql`UPDATE messages SET body = 'seeded' WHERE id = ${r.message_id}`;
  });

  it('a text\'s custom values are read for the audience by the values\' primary key', async () => {
    const fields = (await fieldsByChurch(s.database.db, [churchId])).get(churchId) ?? [];
    expect(fields.length).toBeGreaterThan(0);
    const people = await sql<{ id: number }[]>`SELECT id FROM members WHERE church_id = ${churchId} ORDER BY id LIMIT 200`;
    const plan = await planOf((tx) => customValues(tx, churchId, people.map((p) => p.id), new Map([['f', fields[0]!]])), /FROM member_field_values/);
    expect(plan).toContain('member_field_values_pkey');
    expect(seqScanOn(plan, 'member_field_values')).toBe(false);
  });

  it("a church's suppressions walk its people by address and probe the platform's list by key", async () => {
    await sql`INSERT INTO email_suppressions (email, reason)
              SELECT lower(email), 'complained' FROM members WHERE church_id = ${churchId} AND email IS NOT NULL ORDER BY id LIMIT 30 ON CONFLICT DO NOTHING`;
    await sql`ANALYZE email_suppressions`;
    const page = await planOf((tx) => pageSuppressions(tx, churchId, 21, 'a'), /GROUP BY s\.email/, true);
    expect(page).toContain('members_church_email_idx');
    expect(seqScanOn(page, 'email_suppressions')).toBe(false);
    expect(seqScanOn(page, 'members')).toBe(false);
    const [m] = await sql<[{ email: string }]>`SELECT lower(email) AS email FROM members WHERE church_id = ${churchId} AND email IS NOT NULL ORDER BY id LIMIT 1`;
    const one = await planOf((tx) => suppressionOfChurch(tx, churchId, m.email), /WHERE s\.email = /, true);
    expect(one).toContain('email_suppressions_pkey');
    expect(seqScanOn(one, 'members')).toBe(false);
  });

  it('a bounce finds its email by Message-ID through each month’s unique provider_sid index', async () => {
    const [r] = await sql<[{ provider_sid: string; email: string }]>`SELECT provider_sid, email FROM message_recipients WHERE church_id = ${churchId} ORDER BY id DESC LIMIT 1`;
    const plan = await planOf((tx) => bounceRecipient(tx, r.provider_sid, r.email, 'bounce', 'test'), /SET status = 'undelivered'/);
    expect(plan).toMatch(/message_recipients_sid_key_y\d{4}m\d{2}/);
    expect(seqScanOn(plan, 'message_recipients', await recipientPartitionsWithRows(sql))).toBe(false);
  });

  it('the unsubscribe link reads and writes one email_consents row by its primary key', async () => {
    const [m] = await sql<[{ id: number; email: string }]>`SELECT id, lower(email) AS email FROM members WHERE church_id = ${churchId} AND email IS NOT NULL ORDER BY id LIMIT 1`;
    const read = await planOf((tx) => emailConsentOf(tx, churchId, m.id), /SELECT opted_out_at FROM email_consents/);
    expect(read).toContain('email_consents_pkey');
    expect(seqScanOn(read, 'email_consents')).toBe(false);
    const write = await planOf((tx) => optOutEmail(tx, churchId, m.id, m.email, 'unsubscribe:page'), /INSERT INTO email_consents/);
    expect(seqScanOn(write, 'members')).toBe(false);
  });
});
