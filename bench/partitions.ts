import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { loadConfig } from '../src/config/env.js';
import { createDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { createPartition, monthStart } from '../src/db/partitions.js';
import {
  applyProviderStatuses,
  claimRecipients,
  countsByMessage,
  markSentMany,
  settleMessages,
} from '../src/modules/message/recipient.queries.js';

/**
 * npm run bench:partitions [-- --months 24 --texts 2000 --rounds 3]
 *
 * What message_recipients' monthly partitions (src/db/partitions.ts) cost the SMS path: the
 * worker's statements for a send (claim, record, status report, in batches of 50; the progress
 * flush's counts and settle, per batch), timed against the current month alone (the months a new
 * install has: this one and three ahead) and against `--months` more before it (a retention's worth,
 * each holding a send of as many texts),
 * each with the message named (the month pruned, as the worker does) and without (every month's
 * index probed). Rounds alternate the settings, so a busy machine slows each alike. Milliseconds per
 * statement; nothing is asserted.
 */

const { values } = parseArgs({ options: { months: { type: 'string' }, texts: { type: 'string' }, rounds: { type: 'string' } } });
const MONTHS = Number(values.months ?? 24);
const TEXTS = Number(values.texts ?? 2000);
const ROUNDS = Number(values.rounds ?? 3);
const BATCH = 50;
const ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const STEPS = ['claim', 'record', 'report', 'counts', 'settle'] as const;
type Step = (typeof STEPS)[number];

function urlOf(name: string): string {
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
}

async function freshDatabase(name: string, pastMonths: number): Promise<string> {
  const admin = postgres(ADMIN, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = urlOf(name);
  await runMigrations(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`INSERT INTO churches (name, slug, time_zone, sms_from_number) VALUES ('Partition bench', 'partition-bench', 'UTC', '+13125550123')`;
  await sql`INSERT INTO members (church_id, first_name, last_name, phone, status)
    SELECT 1, 'Text', 'Person ' || i, '+1' || (3000000000 + i)::text, 'member' FROM generate_series(1, ${TEXTS}) i`;
  // the months before: each with a delivered send to everyone, as a church that texts has
  for (let i = 1; i <= pastMonths; i++) {
    const month = monthStart(new Date(), -i);
    await createPartition((t) => sql.unsafe(t), month);
    await sql`
      WITH m AS (
        INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number, created_at)
        VALUES (1, 'past', '{}', 'completed', ${month.toISOString()}::timestamptz + interval '10 days', 'gsm7', 1, ${TEXTS}, 0, 0, '+13125550123', ${month.toISOString()}::timestamptz + interval '10 days')
        RETURNING id, created_at)
      INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, provider_sid, created_at)
      SELECT 1, m.id, p.id, p.phone, 'delivered', 'SMpast' || m.id || '_' || p.id, m.created_at FROM m, members p`;
  }
  await sql`VACUUM ANALYZE message_recipients`;
  await sql.end();
  return url;
}

/** One send of TEXTS recipients, walked through the worker's statements; ms per statement. */
async function round(url: string, named: boolean): Promise<Record<Step, number>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const [m] = await sql<[{ id: number }]>`
    INSERT INTO messages (church_id, body, audience, status, send_at, encoding, segments, recipient_count, skipped_count, estimated_cost, from_number)
    VALUES (1, 'bench', '{}', 'sending', now(), 'gsm7', 1, ${TEXTS}, 0, 0, '+13125550123') RETURNING id`;
  const ids = (
    await sql<Array<{ id: number }>>`
      INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, created_at)
      SELECT 1, ${m.id}, id, phone, 'queued', (SELECT created_at FROM messages WHERE id = ${m.id}) FROM members RETURNING id`
  ).map((r) => r.id);
  await sql`ANALYZE message_recipients`;
  await sql.end();
  const database = createDatabase(url, { ...loadConfig({}).db.pool, max: 2 });
  const db = database.db;
  const total: Record<Step, number> = { claim: 0, record: 0, report: 0, counts: 0, settle: 0 };
  const time = async (k: Step, f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    total[k] += performance.now() - t0;
  };
  const messageId = named ? m.id : undefined;
  let batches = 0;
  for (let i = 0; i < ids.length; i += BATCH, batches++) {
    const batch = ids.slice(i, i + BATCH);
    await time('claim', () => claimRecipients(db, batch, 30, messageId));
    await time('record', () => markSentMany(db, batch.map((id) => ({ id, messageId, sid: `SM${m.id}_${id}`, providerStatus: 'queued' }))));
    await time('report', () =>
      applyProviderStatuses(
        db,
        batch.map((id) => ({ sid: `SM${m.id}_${id}`, status: 'delivered' as const, providerStatus: 'delivered', errorCode: null, tag: { recipientId: id, messageId, attempt: 1, episode: null } })),
      ),
    );
    await time('counts', () => countsByMessage(db, [m.id]));
    await time('settle', () => settleMessages(db, [m.id]));
  }
  await database.close();
  return Object.fromEntries(STEPS.map((k) => [k, total[k] / batches])) as Record<Step, number>;
}

const settings = [
  { name: `current month (+3 ahead), message named`, db: 'steeple_bench_parts_new', past: 0, named: true },
  { name: `current month (+3 ahead), not named`, db: 'steeple_bench_parts_new', past: 0, named: false },
  { name: `${MONTHS} months before it too, message named`, db: 'steeple_bench_parts_old', past: MONTHS, named: true },
  { name: `${MONTHS} months before it too, not named`, db: 'steeple_bench_parts_old', past: MONTHS, named: false },
];
const urls = new Map<string, string>();
for (const s of settings) if (!urls.has(s.db)) urls.set(s.db, await freshDatabase(s.db, s.past));
const sums = settings.map(() => ({ claim: 0, record: 0, report: 0, counts: 0, settle: 0 }) as Record<Step, number>);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, s] of settings.entries()) {
    const got = await round(urls.get(s.db)!, s.named);
    for (const k of STEPS) sums[i]![k] += got[k] / ROUNDS;
  }
}
const lines = [
  `message_recipients partitions: ${TEXTS} texts per send in batches of ${BATCH}, ${ROUNDS} rounds; ms per statement (mean)`,
  '',
  `| months | ${STEPS.join(' | ')} |`,
  `|---|${STEPS.map(() => '---:').join('|')}|`,
  ...settings.map((s, i) => `| ${s.name} | ${STEPS.map((k) => sums[i]![k].toFixed(2)).join(' | ')} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
const admin = postgres(ADMIN, { max: 1, onnotice: () => {} });
for (const name of urls.keys()) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
await admin.end();
