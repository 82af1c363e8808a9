import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cacheCounts,
  ceiling,
  clearRedis,
  DEFAULTS,
  load,
  markdown,
  POSTGRAPHILE_Q1,
  POSTGRAPHILE_S1,
  budgetOf,
  postgraphileServer,
  QUICK,
  ROOT,
  scenarios,
  setup,
  smsDrain,
  startApi,
  statementsPerRequest,
  type BenchOptions,
  type LoadResult,
} from './harness.js';
import { BURST_DEFAULTS, BURST_QUICK, burstMarkdown, checkInBurst, type BurstOptions, type BurstResult } from './checkin-burst.js';

/**
 * npm run bench [-- --quick] [--churches N --members M --duration S --connections C --no-cluster --no-postgraphile
 *   --only=Q1,S1,SL,ME,TN,PG,SMS,CI (those scenarios; SL: a smart-list page; PG: PostGraphile's, SMS: the drain, CI: the check-in burst)
 *   --recipient-months=N (message_recipients' past monthly partitions, default 24: two years' retention)]
 * Seeds its own database (steeple_bench), measures every scenario against one API process and then
 * the cluster, next to a bare node:http ceiling, and writes bench/results/<date>.md and latest.md.
 */
export async function runBench(o: BenchOptions, command: string, say: (s: string) => void = console.log, burst: BurstOptions | null = BURST_DEFAULTS) {
  say(`seeding ${o.churches} churches × ${o.membersPerChurch} members, ~${o.recipients} message recipients…`);
  const f = await setup(o);
  say(`seeded in ${(f.seedMs / 1000).toFixed(1)} s`);
  const sqlPer = await statementsPerRequest(f);
  const s = scenarios(f);
  const rows: LoadResult[] = [];
  const modes = [{ workers: 1, label: '1 process' }, ...(o.cluster ? [{ workers: 0, label: 'cluster' }] : [])];
  const wanted = (cache: boolean) => !o.only || o.only.some((k) => (cache ? ['Q1', 'S1', 'SL', 'Q3', 'M1'] : ['Q1', 'Q2', 'S1', 'SL', 'Q3', 'Q4', 'ME', 'TN']).includes(k));
  for (const mode of modes) {
    const workers = mode.workers || (await import('node:os')).availableParallelism();
    for (const cache of [true, false].filter(wanted)) {
      await clearRedis(o.redisUrl);
      const api = await startApi(f, o, { workers, cache });
      const target = `${mode.label}${mode.workers ? '' : ` (${workers})`}, cache ${cache ? 'on' : 'off'}`;
      try {
        const plan: Array<[string, keyof typeof s]> = cache
          ? [['Q1 directory page 1 (cached)', 'Q1'], ['S1 people by status (cached)', 'S1'], ['SL smart-list page 1 (cached)', 'SL'], ['Q3 analytics (cached)', 'Q3'], ['M1 create member + Q1', 'M1']]
          : [
              ['Q1 directory page 1 (uncached)', 'Q1'],
              ['Q2 directory page 3', 'Q2'],
              ['S1 people by status (uncached)', 'S1'],
              ['SL smart-list page 1 (uncached)', 'SL'],
              ['Q3 analytics (uncached)', 'Q3'],
              ['Q4 member + household, groups, texts', 'Q4'],
              ['ME me { user { id } } (signed in)', 'ME'],
              ['TN { __typename } (signed in)', 'TN'],
            ];
        for (const [name, key] of plan.filter(([, k]) => !o.only || o.only.includes(k))) {
          // the first readings after the warm-up (load's `measuring`): the figures are of the measured requests
          const at: { metrics?: Map<string, number> | null; cache?: { hits: number; misses: number } | null } = {};
          // Q4 asks for members of any church: as the platform admin; the rest as that church's staff
          const r = await load(name, target, api.url, { cookie: api.cookie }, s[key], o, api.cookieFor, async () => {
            at.cache = cache ? await cacheCounts(api) : null;
            at.metrics = await api.metrics().catch(() => null);
          });
          const m1 = await api.metrics().catch(() => null);
          if (at.metrics && m1) {
            r.budget = budgetOf(at.metrics, m1, r.requests);
            r.rssMb = (m1.get('process_resident_memory_bytes') ?? 0) / 2 ** 20 || undefined;
          }
          const before = at.cache;
          if (before) {
            const after = await cacheCounts(api);
            const h = after.hits - before.hits;
            const m = after.misses - before.misses;
            r.hitRatio = h + m ? h / (h + m) : null;
          }
          r.sqlPerRequest = cache ? (key === 'M1' ? `${sqlPer.M1} + hits` : 'on miss: ' + sqlPer[key]) : sqlPer[key];
          rows.push(r);
          say(`${name.padEnd(40)} ${target.padEnd(24)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors + r.non2xx}`);
        }
      } finally {
        await api.stop();
      }
    }
  }
  if (o.postgraphile && (!o.only || o.only.includes('PG'))) {
    const pg = await postgraphileServer(f);
    try {
      const r = await load('Q1 directory page 1 (uncached)', 'PostGraphile v4', pg.url, {}, [
        () => ({ query: POSTGRAPHILE_Q1, variables: { c: f.churchIds[Math.floor(Math.random() * f.churchIds.length)] } }),
      ], o);
      rows.push(r);
      say(`${r.name.padEnd(40)} ${r.target.padEnd(24)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors + r.non2xx}`);
      const g = await load('S1 people by status (uncached)', 'PostGraphile v4 + pg-aggregates', pg.url, {}, [
        () => ({ query: POSTGRAPHILE_S1, variables: { c: f.churchIds[Math.floor(Math.random() * f.churchIds.length)] } }),
      ], o);
      rows.push(g);
      say(`${g.name.padEnd(40)} ${g.target.padEnd(24)} ${g.rps.toFixed(0).padStart(7)} req/s  p50 ${g.p50} ms  p99 ${g.p99} ms  errors ${g.errors + g.non2xx}`);
      const t = await load('TN { __typename } (signed in)', 'PostGraphile v4', pg.url, {}, [() => ({ query: '{ __typename }', variables: {} })], o);
      rows.push(t);
      say(`${t.name.padEnd(40)} ${t.target.padEnd(24)} ${t.rps.toFixed(0).padStart(7)} req/s  p50 ${t.p50} ms  p99 ${t.p99} ms  errors ${t.errors + t.non2xx}`);
    } finally {
      await pg.stop();
    }
  }
  const q1 = rows.find((r) => r.name.startsWith('Q1') && r.target.includes('1 process, cache off')) ?? rows.find((r) => r.name.startsWith('Q1'));
  const top = await ceiling(q1?.bytesPerResponse ?? 2000, o);
  rows.push(top);
  for (const r of rows) r.ratio = r.rps / top.rps;
  say(`ceiling (bare node:http, ${q1?.bytesPerResponse ?? 2000} B): ${top.rps.toFixed(0)} req/s`);
  const sms = o.smsRecipients > 0 && (!o.only || o.only.includes('SMS')) ? await smsDrain(f, o) : null;
  if (sms) say(`SMS: ${sms.recipients} texts, mutation ${sms.mutationMs} ms, drained at ${sms.textsPerSecond}/s, duplicates ${sms.duplicates}, lost ${sms.lost}`);
  let checkIns: BurstResult | null = null;
  if (burst && (!o.only || o.only.includes('CI'))) {
    await clearRedis(o.redisUrl);
    const api = await startApi(f, o, { workers: (burst.processes ?? 1) || (await import('node:os')).availableParallelism(), cache: true });
    try {
      checkIns = await checkInBurst(f, api, burst);
      if (Object.keys(checkIns.errorKinds).some((k) => k.includes('INTERNAL'))) say(`API errors during the burst:\n${api.stderr().slice(-4000)}`);
    } finally {
      await api.stop();
    }
    say(`check-in burst: ${checkIns.sent} in ${checkIns.seconds} s (${checkIns.offeredRps}/s offered), p50 ${checkIns.p50} ms, p99 ${checkIns.p99} ms, errors ${checkIns.errors}${Object.keys(checkIns.errorKinds).length ? ` ${JSON.stringify(checkIns.errorKinds)}` : ""}, stored ${checkIns.stored}/${checkIns.expected}`);
  }
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const table = markdown(rows, sms, {
    command,
    dataset: `${o.churches} churches × ${o.membersPerChurch} members (+1 church of ${o.smsRecipients} for the SMS drain), ~${o.recipients} message recipients`,
    seedMs: f.seedMs,
    date,
  });
  const text = checkIns ? `${table}\n${burstMarkdown(checkIns)}` : table;
  return { rows, sms, checkIns, text, fixture: f };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ROOT, 'bench/run.ts');
if (isMain) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      churches: { type: 'string' },
      members: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      'no-cluster': { type: 'boolean' },
      'no-postgraphile': { type: 'boolean' },
      only: { type: 'string' },
      'recipient-months': { type: 'string' },
      burst: { type: 'string' },
      'burst-processes': { type: 'string' },
    },
  });
  const o: BenchOptions = { ...DEFAULTS, ...(values.quick ? QUICK : {}) };
  if (values.churches) o.churches = Number(values.churches);
  if (values.members) o.membersPerChurch = Number(values.members);
  if (values.duration) o.durationS = Number(values.duration);
  if (values.connections) o.connections = Number(values.connections);
  if (values['no-cluster']) o.cluster = false;
  if (values['no-postgraphile']) o.postgraphile = false;
  if (values.only) o.only = values.only.split(',').map((k) => k.trim().toUpperCase());
  if (values['recipient-months']) o.recipientMonths = Number(values['recipient-months']);
  const burst: BurstOptions = { ...(values.quick ? BURST_QUICK : BURST_DEFAULTS) };
  if (values.burst) {
    const m = /^(\d+)x(\d+)x(\d+)$/.exec(values.burst);
    if (!m) throw new Error('--burst takes CHURCHESxPERCHURCHxSECONDS, e.g. 50x500x60');
    Object.assign(burst, { churches: Number(m[1]), perChurch: Number(m[2]), seconds: Number(m[3]) });
  }
  if (values['burst-processes']) burst.processes = Number(values['burst-processes']);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const started = Date.now();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  runBench(o, command, console.log, burst)
    .then(({ text }) => {
      const dir = path.join(ROOT, 'bench/results');
      mkdirSync(dir, { recursive: true });
      const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
      writeFileSync(path.join(dir, `${stamp}${values.quick ? '-quick' : ''}.md`), `${text}\n`);
      writeFileSync(path.join(dir, values.quick ? 'latest-quick.md' : 'latest.md'), `${text}\n`);
      console.log(`\n${text}\nwritten to bench/results/ in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
