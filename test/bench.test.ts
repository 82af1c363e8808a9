import { describe, expect, it } from 'vitest';
import { DEFAULTS, QUICK, type BenchOptions } from '../bench/harness.js';
import { runBench } from '../bench/run.js';

// The benchmark harness on a tiny dataset, so it cannot rot: every scenario runs against a real
// server (one process), the ceiling and the SMS drain; nothing is asserted about speed.
describe('benchmark harness', () => {
  it('runs every scenario end to end and renders the table', async () => {
    const o: BenchOptions = {
      ...DEFAULTS,
      ...QUICK,
      database: `steeple_test_bench_${process.pid}`,
      churches: 4,
      membersPerChurch: 45,
      recipients: 200,
      smsRecipients: 50,
      durationS: 1,
      connections: 2,
      cluster: false,
      postgraphile: false,
    };
    const lines: string[] = [];
    const { rows, sms, checkIns, text } = await runBench(o, 'vitest', (l) => lines.push(l), { churches: 3, perChurch: 20, seconds: 1 });
    const names = rows.map((r) => r.name);
    for (const n of ['Q1 directory page 1 (cached)', 'Q1 directory page 1 (uncached)', 'Q2 directory page 3', 'Q3 analytics (cached)', 'Q3 analytics (uncached)', 'Q4 member + household, groups, texts', 'M1 create member + Q1', 'SL smart-list page 1 (cached)', 'SL smart-list page 1 (uncached)', 'ceiling']) {
      expect(names).toContain(n);
    }
    for (const r of rows) {
      expect(r.requests, r.name).toBeGreaterThan(0);
      expect(r.errors + r.non2xx, `${r.name}: errors`).toBe(0);
      expect(r.ratio, r.name).toBeGreaterThan(0);
    }
    expect(rows.find((r) => r.name === 'Q1 directory page 1 (uncached)')!.sqlPerRequest).toBe(1);
    expect(rows.find((r) => r.name === 'Q1 directory page 1 (cached)')!.hitRatio).toBeGreaterThan(0.5);
    expect(sms).toMatchObject({ recipients: 50, duplicates: 0, lost: 0 });
    expect(text).toMatch(/\| Q1 directory page 1 \(uncached\) \| 1 process, cache off \|/);
    expect(text).toContain('bare node:http');
    // the check-in burst: every check-in answered, each person stored once 
    expect(checkIns).toMatchObject({ churches: 3, sent: 60, errors: 0, stored: 60, expected: 60 });
    expect(text).toContain('### Check-in burst');
  }, 240_000);
});
