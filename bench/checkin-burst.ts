import http from 'node:http';
import postgres from 'postgres';
import { budgetOf, type Api, type Budget, type Fixture } from './harness.js';

/**
 * The check-in burst: doors open at once in many churches. For each of `churches` churches, a
 * service starting now and `perChurch` check-ins of one person each (what a door tablet sends)
 * spread evenly over `seconds`, all churches at the same time: an open loop (requests go out on
 * schedule whether or not earlier ones have answered), so slow answers show as latency, not as a
 * lower offered rate. Each church checks in through `tablets` door tablets: that many kept-alive
 * connections, a check-in waiting for a free one (its wait counts in its latency), as kiosks and
 * staff phones at a door do; not a socket per person. Afterwards the database must hold each
 * person exactly once.
 */
export interface BurstOptions {
  churches: number;
  perChurch: number;
  seconds: number;
  /** API processes serving it: 1 (the default), or 0 for the cluster `npm start` runs */
  processes?: number;
  /** connections (door tablets) per church; 4 by default */
  tablets?: number;
}

/** One POST over a church's tablets (a keep-alive agent). */
function post(agent: http.Agent, url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const BURST_DEFAULTS: BurstOptions = { churches: 50, perChurch: 500, seconds: 60 };
export const BURST_QUICK: BurstOptions = { churches: 10, perChurch: 50, seconds: 5 };

export interface BurstResult {
  /** API processes (0: the cluster) */
  processes: number;
  tablets: number;
  /** what a check-in cost the API: CPU ms, statements, ms by stage */
  budget: Budget;
  /** check-ins answered per second over the whole run (the last answer's time) */
  servedRps: number;
  churches: number;
  perChurch: number;
  seconds: number;
  sent: number;
  offeredRps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  /** errors by kind: an HTTP status, a GraphQL error code, or the client's failure */
  errorKinds: Record<string, number>;
  stored: number;
  expected: number;
}

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);

export async function checkInBurst(f: Fixture, api: Api, b: BurstOptions): Promise<BurstResult> {
  const sql = postgres(f.dbUrl, { max: 2, onnotice: () => {} });
  try {
    const churchIds = f.churchIds.slice(0, b.churches);
    // one service per church starting now (UTC wall time, so its id is simply the minute)
    const startsLocal = new Date().toISOString().slice(0, 16);
    const start = `${startsLocal}:00Z`;
    const events = await sql<{ id: number; church_id: number }[]>`
      INSERT INTO events (church_id, name, time_zone, starts_local, duration_minutes)
      SELECT c, 'Bench burst service', 'UTC', ${startsLocal}, 90 FROM unnest(${churchIds}::int[]) AS c
      RETURNING id, church_id`;
    const people = await sql<{ church_id: number; ids: number[] }[]>`
      SELECT church_id, (array_agg(id ORDER BY id))[1:${b.perChurch}] AS ids FROM members
      WHERE church_id = ANY(${churchIds}::int[]) AND archived_at IS NULL GROUP BY church_id`;
    const byChurch = new Map(people.map((p) => [p.church_id, p.ids]));
    const plan: Array<{ at: number; church: number; body: string }> = [];
    const expected = new Set<string>();
    for (const e of events) {
      const ids = byChurch.get(e.church_id) ?? [];
      for (let i = 0; i < b.perChurch && ids.length; i++) {
        const m = ids[i % ids.length]!; // a church smaller than perChurch checks people in twice: still once
        expected.add(`${e.id}:${m}`);
        plan.push({
          at: (i * b.seconds * 1000) / b.perChurch,
          church: e.church_id,
          body: JSON.stringify({
            query: 'mutation($o: ID!, $m: [ID!]!) { checkIn(occurrenceId: $o, memberIds: $m) { checkedIn alreadyCheckedIn } }',
            variables: { o: `${e.id}@${start}`, m: [String(m)] },
          }),
        });
      }
    }
    plan.sort((x, y) => x.at - y.at);
    const latencies: number[] = [];
    let errors = 0;
    const errorKinds: Record<string, number> = {};
    const fail = (kind: string) => {
      errors++;
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    };
    const agents = new Map(churchIds.map((c) => [c, new http.Agent({ keepAlive: true, maxSockets: b.tablets ?? 4 })]));
    const target = new URL(`${api.url}/graphql`);
    const before = await api.metrics();
    const t0 = performance.now();
    await Promise.all(
      plan.map(async (p) => {
        const wait = p.at - (performance.now() - t0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const sent = performance.now();
        try {
          const res = await post(agents.get(p.church)!, target, { 'content-type': 'application/json', cookie: api.cookieFor(p.church) }, p.body);
          const text = res.text;
          if (res.status !== 200 || text.includes('"errors"')) {
            const code = /"code":"([A-Z_]+)"/.exec(text)?.[1];
            fail(code ? `${res.status} ${code}` : `HTTP ${res.status}`);
          }
        } catch (e) {
          fail(`client: ${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).name}`);
        }
        latencies.push(performance.now() - sent);
      }),
    );
    const elapsedS = (performance.now() - t0) / 1000;
    const budget = budgetOf(before, await api.metrics(), plan.length);
    for (const a of agents.values()) a.destroy();
    const [{ n }] = await sql<[{ n: number }]>`
      SELECT count(*)::int AS n FROM check_ins WHERE event_id = ANY(${events.map((e) => e.id)}::int[])`;
    latencies.sort((x, y) => x - y);
    return {
      processes: b.processes ?? 1,
      tablets: b.tablets ?? 4,
      budget,
      servedRps: Math.round(plan.length / elapsedS),
      churches: events.length,
      perChurch: b.perChurch,
      seconds: b.seconds,
      sent: plan.length,
      offeredRps: Math.round(plan.length / b.seconds),
      p50: Math.round(quantile(latencies, 0.5)),
      p99: Math.round(quantile(latencies, 0.99)),
      max: Math.round(latencies[latencies.length - 1] ?? 0),
      errors,
      errorKinds,
      stored: n,
      expected: expected.size,
    };
  } finally {
    await sql.end();
  }
}

const kinds = (k: Record<string, number>) => {
  const parts = Object.entries(k).sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind}: ${n}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
};

export function burstMarkdown(r: BurstResult): string {
  return [
    '',
    `### Check-in burst (${r.churches} churches × ${r.perChurch} check-ins in ${r.seconds} s through ${r.tablets} tablets each, at once; open loop; ${r.processes === 0 ? 'the cluster' : r.processes === 1 ? '1 process' : `${r.processes} processes`})`,
    '',
    '| sent | offered req/s | answered req/s | p50 ms | p99 ms | max ms | errors | stored / expected | CPU ms / check-in | statements / check-in |',
    '|---|---|---|---|---|---|---|---|---|---|',
    `| ${r.sent} | ${r.offeredRps} | ${r.servedRps} | ${r.p50} | ${r.p99} | ${r.max} | ${r.errors}${kinds(r.errorKinds)} | ${r.stored} / ${r.expected} | ${r.budget.cpuMs.toFixed(2)} | ${r.budget.sqlStatements.toFixed(2)} |`,
  ].join('\n');
}
