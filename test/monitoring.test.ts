import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../src/observability/metrics.js';
import '../src/observability/budget.js';

// deploy/monitoring: the Prometheus scrape config, the alert rules (with promtool unit tests) and the
// Grafana dashboard refer only to metrics the API exports. .ci/run installs Debian's prometheus
// (for promtool) when it is missing.
const DIR = path.resolve(import.meta.dirname, '../deploy/monitoring');
const read = (f: string) => readFileSync(path.join(DIR, f), 'utf8');
const hasPromtool = spawnSync('promtool', ['--version']).error === undefined;
if (!hasPromtool && process.env.CI) throw new Error('promtool is not installed (.ci/run installs prometheus)');

/** Every metric name the API exports (histograms as their _bucket/_sum/_count series). */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}
const referenced = (text: string) => new Set([...text.matchAll(/\b(steeple_[a-z_]+|process_[a-z_]+)\b/g)].map((m) => m[1]!));

describe('monitoring configuration', () => {
  it('the alert rules and the dashboard use only exported metrics', async () => {
    const have = await exported();
    const dashboard = JSON.parse(read('grafana-dashboard.json')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    for (const [file, text] of [['alerts.yml', read('alerts.yml')], ['grafana-dashboard.json', exprs]] as const) {
      const names = referenced(text);
      expect(names.size, file).toBeGreaterThan(5);
      for (const n of names) expect(have.has(n), `${file} uses ${n}`).toBe(true);
    }
    // what the issue asks alerts for: queue age, failure rate, cache hit ratio, pool waits, replica lag
    for (const alert of ['SmsQueueStuck', 'SmsFailuresRising', 'ApiInternalErrors', 'CacheHitRatioLow', 'DbPoolWaits', 'ReplicaLagging', 'ReplicaDown']) {
      expect(read('alerts.yml'), alert).toContain(`alert: ${alert}`);
    }
  });

  it.skipIf(!hasPromtool)('promtool accepts the config and the rules, and the rules fire as their unit tests say', () => {
    for (const args of [['check', 'config', 'prometheus.yml'], ['check', 'rules', 'alerts.yml'], ['test', 'rules', 'alerts.test.yml']]) {
      const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
      expect(r.status, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });
});
