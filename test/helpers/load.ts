import http from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A small closed-loop load generator for shutdown tests: `concurrency` loops, each sending one
 * request at a time over a shared keep-alive agent, and a classification of every outcome that
 * tells "the server accepted the request and then failed it" from "the request never got in".
 *
 * - ok: a complete 200 response whose JSON body has no `errors`
 * - badResponses: a complete response that is not 200, or whose body has `errors` / is not JSON
 * - truncated: the response had started (bytes arrived on the socket for this request) and then
 *   the connection failed — an accepted request that failed
 * - refused: could not connect (ECONNREFUSED): never accepted
 * - resets: reset / hang-up / EPIPE before any response byte: the server closed the (often idle
 *   keep-alive) connection as the request went out; not accepted
 * - timeouts: no complete response within `requestTimeoutMs` (a hang)
 * - other: any other transport error before a response byte (reported; unexpected)
 */
export type Outcome = 'ok' | 'bad' | 'truncated' | 'refused' | 'reset' | 'timeout' | 'other';

export interface LoadStats {
  sent: number;
  ok: number;
  badResponses: number;
  truncated: number;
  refused: number;
  resets: number;
  timeouts: number;
  other: number;
  maxLatencyMs: number;
  /** complete responses by status code */
  statuses: Record<string, number>;
  /** transport errors by `<outcome>:<code>` */
  errors: Record<string, number>;
  /** complete responses that carried `Connection: close` (the server asked us not to reuse the socket) */
  connectionClose: number;
  /** the first failures (bad, truncated, timeout, other), for the report */
  failures: string[];
  /** the first resets, for the report */
  resetSamples: string[];
}

/** Failed responses among accepted requests. */
export function failedAccepted(s: LoadStats): number {
  return s.badResponses + s.truncated + s.timeouts;
}

export function summarize(s: LoadStats): string {
  return (
    `sent=${s.sent} ok=${s.ok} failedAccepted=${failedAccepted(s)} (bad=${s.badResponses} truncated=${s.truncated} ` +
    `timeouts=${s.timeouts}) refused=${s.refused} resets=${s.resets} other=${s.other} ` +
    `connectionClose=${s.connectionClose} maxLatencyMs=${Math.round(s.maxLatencyMs)}`
  );
}

export interface LoadOptions {
  host: string;
  port: number;
  path: string;
  concurrency: number;
  /** request body for the i-th request (i counts from 0 over all loops) */
  body: (i: number) => string;
  headers?: Record<string, string>;
  requestTimeoutMs?: number;
  /** stops by itself after this long (otherwise only on stop()) */
  durationMs?: number;
  /** called with every request's index and result */
  onResult?: (i: number, r: Result) => void;
}

export interface LoadRun {
  /** live counters (mutated as results arrive) */
  readonly stats: LoadStats;
  /** a copy of the counters now */
  snapshot(): LoadStats;
  /** ms since the load started */
  elapsed(): number;
  /** stops the loops, waits for their current requests, and returns the final counters */
  stop(): Promise<LoadStats>;
}

export interface Result {
  outcome: Outcome;
  latencyMs: number;
  status?: number;
  connectionClose?: boolean;
  code?: string;
  detail?: string;
}

function emptyStats(): LoadStats {
  return { sent: 0, ok: 0, badResponses: 0, truncated: 0, refused: 0, resets: 0, timeouts: 0, other: 0, maxLatencyMs: 0, statuses: {}, errors: {}, connectionClose: 0, failures: [], resetSamples: [] };
}

function sendOne(agent: http.Agent | false, opts: LoadOptions, body: string): Promise<Result> {
  return new Promise((resolve) => {
    const started = performance.now();
    let settled = false;
    let socket: Socket | undefined;
    let bytesBefore = 0;
    let responded = false;
    const done = (r: Omit<Result, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, latencyMs: performance.now() - started });
    };
    const req = http.request(
      {
        agent,
        host: opts.host,
        port: opts.port,
        path: opts.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...opts.headers },
      },
      (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => {}); // reported through 'close' without 'end'
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let hasErrors = true;
          try {
            const parsed = JSON.parse(text) as { errors?: unknown };
            hasErrors = parsed.errors !== undefined;
          } catch {
            // not JSON: counted as a bad response
          }
          const status = res.statusCode ?? 0;
          const connectionClose = /\bclose\b/i.test(String(res.headers.connection ?? ''));
          if (status === 200 && !hasErrors) done({ outcome: 'ok', status, connectionClose });
          else done({ outcome: 'bad', status, connectionClose, detail: text.slice(0, 300) });
        });
        res.on('close', () => {
          if (!res.complete) done({ outcome: 'truncated', status: res.statusCode, code: 'aborted', detail: 'response closed before its end' });
        });
      },
    );
    req.on('socket', (s: Socket) => {
      socket = s;
      bytesBefore = s.bytesRead;
    });
    req.setTimeout(opts.requestTimeoutMs ?? 15_000, () => {
      req.destroy(Object.assign(new Error('load generator timeout'), { code: 'LOAD_TIMEOUT' }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? e.message;
      // a response (or part of one) arrived for this request: it was accepted, then failed
      if (responded || (socket !== undefined && socket.bytesRead > bytesBefore)) {
        done({ outcome: 'truncated', code, detail: e.message });
      } else if (code === 'LOAD_TIMEOUT') done({ outcome: 'timeout', code, detail: e.message });
      else if (code === 'ECONNREFUSED') done({ outcome: 'refused', code });
      else if (code === 'ECONNRESET' || code === 'EPIPE') done({ outcome: 'reset', code, detail: e.message });
      else done({ outcome: 'other', code, detail: e.message });
    });
    req.end(body);
  });
}

function record(stats: LoadStats, r: Result, at: number) {
  stats.sent++;
  stats.maxLatencyMs = Math.max(stats.maxLatencyMs, r.latencyMs);
  if (r.connectionClose) stats.connectionClose++;
  if (r.status !== undefined && (r.outcome === 'ok' || r.outcome === 'bad')) {
    stats.statuses[r.status] = (stats.statuses[r.status] ?? 0) + 1;
  }
  if (r.code !== undefined) {
    const key = `${r.outcome}:${r.code}`;
    stats.errors[key] = (stats.errors[key] ?? 0) + 1;
  }
  switch (r.outcome) {
    case 'ok':
      stats.ok++;
      return;
    case 'bad':
      stats.badResponses++;
      break;
    case 'truncated':
      stats.truncated++;
      break;
    case 'refused':
      stats.refused++;
      return;
    case 'reset':
      stats.resets++;
      if (stats.resetSamples.length < 20) stats.resetSamples.push(`+${Math.round(at)}ms ${r.code ?? '-'} ${r.detail ?? ''}`.trim());
      return;
    case 'timeout':
      stats.timeouts++;
      break;
    case 'other':
      stats.other++;
      break;
  }
  if (stats.failures.length < 20) {
    stats.failures.push(`+${Math.round(at)}ms ${r.outcome} status=${r.status ?? '-'} code=${r.code ?? '-'} ${r.detail ?? ''}`.trim());
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startLoad(opts: LoadOptions): LoadRun {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const stats = emptyStats();
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  let stopped = false;
  let seq = 0;
  const deadline = opts.durationMs === undefined ? undefined : setTimeout(() => (stopped = true), opts.durationMs);
  const loops = Array.from({ length: opts.concurrency }, async () => {
    while (!stopped) {
      const i = seq++;
      const r = await sendOne(agent, opts, opts.body(i));
      record(stats, r, elapsed());
      opts.onResult?.(i, r);
      // no hot spinning against a closed port
      if (r.outcome !== 'ok' && r.outcome !== 'bad') await sleep(10);
    }
  });
  return {
    stats,
    snapshot: () => structuredClone(stats),
    elapsed,
    async stop() {
      stopped = true;
      clearTimeout(deadline);
      await Promise.all(loops);
      agent.destroy();
      return structuredClone(stats);
    },
  };
}

/** One request on a fresh connection (no keep-alive); same classification as the load. */
export async function requestOnce(opts: Omit<LoadOptions, 'concurrency' | 'body' | 'durationMs'>, body: string): Promise<Result> {
  return sendOne(false, { ...opts, concurrency: 1, body: () => body }, body);
}
