import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { startTestServer } from '../test/helpers/server.js';
import { seedChurch } from '../test/helpers/factories.js';

/**
 * npm run bench:export [-- --rows 50000 --runs 3]
 *
 * The CSV export of a church of `rows` people (GET /export/members.csv), in this process against a
 * real server (a fresh database, the test Redis): time to the last byte, rows per second, the
 * process's RSS before and at its peak while the file streams. Nothing is asserted.
 */
export interface ExportBenchResult {
  rows: number;
  runs: Array<{ ms: number; rowsPerS: number; bytes: number; chunks: number; rssBeforeMb: number; rssPeakMb: number }>;
}

export async function exportBench(rows: number, runs = 3): Promise<ExportBenchResult> {
  const s = await startTestServer('issue15b_bench_export');
  try {
    const c = await seedChurch(s, { members: 0 });
    await s.database.sql.begin(async (tx) => {
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`
        INSERT INTO members (church_id, first_name, last_name, email, phone, status, birth_date)
        SELECT ${c.churchId}, 'First' || i, 'Last' || lpad(i::text, 6, '0'), 'p' || i || '@example.org',
          '+1312' || lpad((1000000 + i)::text, 7, '0'), 'member', date '1970-01-01' + (i % 15000)
        FROM generate_series(1, ${rows}) i`;
    });
    await s.database.sql`ANALYZE members`;
    await s.grantAll();
    const url = `${s.url.replace(/\/graphql$/, '')}/export/members.csv?churchId=${c.churchId}`;
    const out: ExportBenchResult = { rows, runs: [] };
    for (let r = 0; r < runs; r++) {
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      const t0 = performance.now();
      const res = await fetch(url, { headers: s.adminHeaders });
      if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
      const reader = res.body!.getReader();
      let bytes = 0;
      let chunks = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
        chunks++;
        if (chunks % 16 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      }
      const ms = performance.now() - t0;
      out.runs.push({ ms: Math.round(ms), rowsPerS: Math.round(rows / (ms / 1000)), bytes, chunks, rssBeforeMb: +(rssBefore / 2 ** 20).toFixed(1), rssPeakMb: +(peak / 2 ** 20).toFixed(1) });
    }
    return out;
  } finally {
    await s.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, runs: { type: 'string' } } });
  // outside vitest: the migrated template database its global setup makes (dropped at the end)
  const { default: setup } = await import('../test/helpers/global-setup.js');
  const teardown = await setup();
  const r = await exportBench(Number(values.rows ?? 50_000), Number(values.runs ?? 3));
  if (typeof teardown === 'function') await teardown();
  console.log(`CSV export of ${r.rows} people (GET /export/members.csv, one process, in-process client)\n`);
  console.log('| run | ms | rows/s | MB | chunks | RSS before MB | RSS peak MB |\n|---:|---:|---:|---:|---:|---:|---:|');
  r.runs.forEach((x, i) => console.log(`| ${i + 1} | ${x.ms} | ${x.rowsPerS} | ${(x.bytes / 2 ** 20).toFixed(1)} | ${x.chunks} | ${x.rssBeforeMb} | ${x.rssPeakMb} |`));
  process.exit(0);
}
