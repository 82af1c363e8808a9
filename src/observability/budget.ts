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

const stageSeconds = new Counter({
  name: 'steeple_request_stage_seconds_total',
  help: 'Wall-clock seconds spent per request stage (see src/observability/budget.ts)',
  labelNames: ['stage'] as const,
  registers: [registry],
});
export const sqlStatements = new Counter({
  name: 'steeple_sql_statements_total',
  help: 'SQL statements sent through the pool (a transaction counts once)',
  registers: [registry],
});

const children = Object.fromEntries(STAGES.map((s) => [s, stageSeconds.labels({ stage: s })])) as Record<Stage, { inc(v: number): void }>;

/** Adds the time since `since` (process.hrtime.bigint()) to a stage; returns now, for the next stage. */
export function stage(name: Stage, since: bigint): bigint {
  const now = process.hrtime.bigint();
  children[name].inc(Number(now - since) / 1e9);
  return now;
}

export function addStage(name: Stage, seconds: number): void {
  children[name].inc(seconds);
}
