import { Counter } from 'prom-client';
import { registry } from './metrics.js';

/**
 * Where a request's time goes, summed over requests (the bench divides by requests served):
 * - http: arrival to the door (Express, the body read and parsed);
 * - auth: authenticating the caller (the session's Redis round trip, or a token's SQL);
 * - parse: parsing, validating and compiling documents (once per document text);
 * - limits: measuring the operation against the limits;
 * - cache: the response cache's key and read (a hit is answered from there);
 * - execute: running the operation, SQL waits included;
 * - serialize: the answer's JSON;
 * - sql: every statement's time on the wire, from the gate to its last row (also inside execute);
 * - apollo: requests the door hands on to Apollo, arrival at Apollo to the answer.
 * Wall-clock seconds: a stage that waits (auth, execute, sql) counts its wait.
 */
export const STAGES = ['http', 'auth', 'parse', 'limits', 'cache', 'execute', 'serialize', 'sql', 'apollo'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Each stage's seconds are summed into a plain number per request (a labelled counter's inc
 * costs a hot request more than the stage it measures) and handed to the counter when it is read.
 */
const totals = new Float64Array(STAGES.length);
const reported = new Float64Array(STAGES.length);
const stageSeconds: Counter<'stage'> = new Counter({
  name: 'steeple_request_stage_seconds_total',
  help: 'Wall-clock seconds spent per request stage (see src/observability/budget.ts)',
  labelNames: ['stage'] as const,
  registers: [registry],
  collect() {
    for (let i = 0; i < STAGES.length; i++) {
      const d = totals[i]! - reported[i]!;
      reported[i] = totals[i]!;
      if (d > 0) stageSeconds.labels({ stage: STAGES[i]! }).inc(d);
    }
  },
});
export const sqlStatements = new Counter({
  name: 'steeple_sql_statements_total',
  help: 'SQL statements sent through the pool (a transaction counts once)',
  registers: [registry],
});

const index = Object.fromEntries(STAGES.map((s, i) => [s, i])) as Record<Stage, number>;
// every stage is reported from the start, at 0
for (const s of STAGES) stageSeconds.labels({ stage: s }).inc(0);

/** Adds the time since `since` (process.hrtime.bigint()) to a stage; returns now, for the next stage. */
export function stage(name: Stage, since: bigint): bigint {
  const now = process.hrtime.bigint();
  totals[index[name]]! += Number(now - since) / 1e9;
  return now;
}

export function addStage(name: Stage, seconds: number): void {
  totals[index[name]]! += seconds;
}
