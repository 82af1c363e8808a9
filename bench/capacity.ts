import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { runMigrations } from '../src/db/migrate.js';
import { DEFAULTS, QUERIES, ROOT, inProcessApi, load, machine, setup, startApi, type BenchOptions, type Fixture } from './harness.js';

/**
 * npm run bench:capacity [-- --quick] [--reuse (the databases an earlier run seeded: steeple_cap_small, steeple_cap_large)]
 * The growth run (issue 13, item 6): the same operations, uncached, on 200 churches × 1,000 members
 * and on 10,000 churches × 200 members (2 million people) plus one church of 50,000. For each:
 * p50/p99 under a light load (one API process), the statements per request, and what PostgreSQL
 * touched for them (EXPLAIN ANALYZE of every statement the request sent: shared buffers and
 * execution time, without per-node timing) — the buffers are the deterministic measure of "flat".
 */

const SEARCH = `query QS($c: ID!, $s: String!) { members(churchId: $c, first: 20, filter: { search: $s }) { nodes { id firstName lastName email phone status } pageInfo { hasNextPage endCursor } } }`;
type Op = { name: string; query: string; vars: (church: number) => Record<string, unknown> };
const OPS: Op[] = [
  { name: 'directory page 1 (20 people, household, groups, total)', query: QUERIES.Q1, vars: (c) => ({ c: String(c) }) },
  { name: 'search "son" (first 20)', query: SEARCH, vars: (c) => ({ c: String(c), s: 'son' }) },
  { name: 'people by status', query: QUERIES.S1, vars: (c) => ({ c: String(c) }) },
  { name: 'full dashboard', query: QUERIES.Q3, vars: (c) => ({ c: String(c) }) },
];

interface Cost {
  statements: number;
  buffers: number;
  execMs: number;
}
interface Cell extends Cost {
  p50: number;
  p99: number;
  rps: number;
}

/** Statements per request and what PostgreSQL did for them, averaged over the given churches. */
async function costs(f: Fixture, churches: number[]): Promise<Cost[]> {
  const api = await inProcessApi(f, 'bench:cap:');
  const explain = postgres(f.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const out: Cost[] = [];
    for (const op of OPS) {
      const sum: Cost = { statements: 0, buffers: 0, execMs: 0 };
      for (const c of churches) {
        api.statements.reset();
        const r = (await (await api.post({ query: op.query, variables: op.vars(c) })).json()) as { errors?: unknown };
        if (r.errors) throw new Error(`${op.name}: ${JSON.stringify(r.errors)}`);
        const sent = [...api.statements.recent];
        sum.statements += sent.length;
        for (const st of sent) {
          type Explained = { 'QUERY PLAN': Array<{ Plan: Record<string, number>; 'Execution Time': number }> };
          const [row] = await explain.unsafe<Explained[]>(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ${st.query}`, st.params as postgres.ParameterOrJSON<never>[]);
          const plan = row!['QUERY PLAN'][0]!;
          sum.buffers += (plan.Plan['Shared Hit Blocks'] ?? 0) + (plan.Plan['Shared Read Blocks'] ?? 0);
          sum.execMs += plan['Execution Time'];
        }
      }
      out.push({ statements: sum.statements / churches.length, buffers: sum.buffers / churches.length, execMs: sum.execMs / churches.length });
    }
    return out;
  } finally {
    await explain.end();
    await api.close();
  }
}

async function measure(f: Fixture, o: BenchOptions, pick: () => number, sample: number[]): Promise<Cell[]> {
  const cost = await costs(f, sample);
  const api = await startApi(f, o, { workers: 1, cache: false });
  try {
    const cells: Cell[] = [];
    for (const [i, op] of OPS.entries()) {
      const r = await load(op.name, 'capacity', api.url, { cookie: api.cookie }, [
        () => {
          const c = pick();
          return { query: op.query, variables: op.vars(c), church: c };
        },
      ], o, api.cookieFor);
      cells.push({ ...cost[i]!, p50: r.p50, p99: r.p99, rps: r.rps });
    }
    return cells;
  } finally {
    await api.stop();
  }
}

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** A database an earlier capacity run seeded (--reuse): migrated to now, its churches read back. */
async function reuse(o: BenchOptions): Promise<Fixture | null> {
  const u = new URL(o.pgAdminUrl);
  u.pathname = `/${o.database}`;
  const sql = postgres(u.toString(), { max: 1, onnotice: () => {} });
  try {
    const ids = (await sql<{ id: number }[]>`SELECT id FROM churches WHERE slug LIKE 'synthetic-42-%' ORDER BY id`).map((r) => r.id);
    const [big] = await sql<{ id: number }[]>`SELECT id FROM churches WHERE slug LIKE 'synthetic-43-%'`;
    const [sms] = await sql<{ id: number }[]>`SELECT id FROM churches WHERE slug = 'bench-sms'`;
    if (!ids.length || !sms) return null;
    await runMigrations(u.toString());
    await sql`VACUUM ANALYZE`;
    const lists = await sql<{ church_id: number; id: number }[]>`SELECT church_id, id FROM smart_lists WHERE name = 'Cleared for children''s ministry'`;
    const listIds = new Map(lists.map((r) => [r.church_id, r.id]));
    return { dbUrl: u.toString(), churchIds: ids, page3Cursors: new Map(), memberIds: [], smsChurchId: sms.id, bigChurchId: big?.id, listIds, seedMs: 0 };
  } catch {
    return null;
  } finally {
    await sql.end();
  }
}

export async function runCapacity(quick: boolean, say: (s: string) => void = console.log, reuseSeeded = false) {
  const base: BenchOptions = { ...DEFAULTS, recipients: 0, smsRecipients: 0, durationS: quick ? 2 : 6, connections: 16, cluster: false, postgraphile: false };
  const small: BenchOptions = { ...base, database: 'steeple_cap_small', churches: quick ? 20 : 200, membersPerChurch: quick ? 100 : 1000, recipients: quick ? 2000 : 20_000 };
  const large: BenchOptions = { ...base, database: 'steeple_cap_large', churches: quick ? 200 : 10_000, membersPerChurch: quick ? 20 : 200, recipients: quick ? 2000 : 100_000, bigChurch: quick ? 5000 : 50_000 };
  const rand = (ids: number[]) => () => ids[Math.floor(Math.random() * ids.length)]!;
  const sampleOf = (ids: number[]) => Array.from({ length: 10 }, (_, i) => ids[Math.floor((i * ids.length) / 10)]!);
  const columns: Array<{ label: string; cells: Cell[] }> = [];
  say(`seeding ${small.churches} churches × ${small.membersPerChurch} members…`);
  const fs = (reuseSeeded && (await reuse(small))) || (await setup(small));
  say(`seeded in ${(fs.seedMs / 1000).toFixed(0)} s`);
  columns.push({ label: `${small.churches.toLocaleString('en-US')} × ${small.membersPerChurch.toLocaleString('en-US')}`, cells: await measure(fs, small, rand(fs.churchIds), sampleOf(fs.churchIds)) });
  say(`seeding ${large.churches} churches × ${large.membersPerChurch} members + one of ${large.bigChurch}…`);
  const fl = (reuseSeeded && (await reuse(large))) || (await setup(large));
  say(`seeded in ${(fl.seedMs / 1000).toFixed(0)} s`);
  // every synthetic church but the largest (Fixture.churchIds keeps those with a third page)
  const ids = postgres(fl.dbUrl, { max: 1, onnotice: () => {} });
  const ordinary = (await ids<{ id: number }[]>`SELECT id FROM churches WHERE slug LIKE 'synthetic-42-%' ORDER BY id`).map((r) => r.id);
  await ids.end();
  columns.push({ label: `${large.churches.toLocaleString('en-US')} × ${large.membersPerChurch.toLocaleString('en-US')}`, cells: await measure(fl, large, rand(ordinary), sampleOf(ordinary)) });
  columns.push({ label: `the church of ${large.bigChurch!.toLocaleString('en-US')}`, cells: await measure(fl, large, () => fl.bigChurchId!, [fl.bigChurchId!]) });
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const lines = [
    `# Steeple capacity run — ${date}`,
    '',
    `Machine: ${machine()}  `,
    `Command: \`npm run bench:capacity${quick || reuseSeeded ? ` --${quick ? ' --quick' : ''}${reuseSeeded ? ' --reuse' : ''}` : ''}\`; one API process, cache off, ${base.connections} connections, ${base.durationS} s per cell; statements and buffers averaged over 10 churches (1 for the largest).`,
    '',
    '| operation | dataset | p50 ms | p99 ms | req/s | statements | buffers touched | PostgreSQL ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [i, op] of OPS.entries()) {
    for (const col of columns) {
      const c = col.cells[i]!;
      lines.push(`| ${op.name} | ${col.label} | ${fmt(c.p50)} | ${fmt(c.p99)} | ${fmt(c.rps, 0)} | ${fmt(c.statements)} | ${fmt(c.buffers, 0)} | ${fmt(c.execMs, 2)} |`);
    }
  }
  return lines.join('\n');
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ROOT, 'bench/capacity.ts');
if (isMain) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, reuse: { type: 'boolean' } } });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  runCapacity(Boolean(values.quick), console.log, Boolean(values.reuse))
    .then((text) => {
      const dir = path.join(ROOT, 'bench/results');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, values.quick ? 'capacity-quick.md' : 'capacity.md'), `${text}\n`);
      console.log(`\n${text}\nwritten to bench/results/`);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
