import http from 'node:http';

/**
 * A paced closed-loop request generator for the fleet tests: `concurrency` loops, each sending one
 * request at a time over a keep-alive agent (as a browser or an SDK would) and pausing `pauseMs`
 * between requests, so the load stays modest on a shared 2-core machine. Unlike load.ts it keeps
 * every request: when it started and ended (wall clock, to compare with a kill), which node
 * answered (HAProxy's X-Served-By), the HTTP status and the GraphQL error code.
 */

export interface Sample {
  i: number;
  kind: string;
  /** Date.now() when sent / when the outcome was known */
  start: number;
  end: number;
  /** ok: 200 without errors; error: an answer with errors or another status; transport: no complete answer */
  outcome: 'ok' | 'error' | 'transport';
  status?: number;
  /** extensions.code of the first GraphQL error, or the transport error's code */
  code?: string;
  servedBy?: string;
  detail?: string;
  /** the parsed JSON answer (for ok answers of mutations: the created ids) */
  data?: any;
}

export interface LoopOptions {
  port: number;
  concurrency: number;
  pauseMs: number;
  headers?: Record<string, string>;
  /** the i-th request (i counts over all loops): a label and the GraphQL body */
  request: (i: number) => { kind: string; body: { query: string; variables?: Record<string, unknown> } };
  timeoutMs?: number;
}

export interface RequestLoop {
  readonly samples: Sample[];
  /** stops the loops, waits for the requests in flight, returns every sample */
  stop(): Promise<Sample[]>;
}

function once(agent: http.Agent, opts: LoopOptions, i: number): Promise<Sample> {
  const { kind, body } = opts.request(i);
  const text = JSON.stringify(body);
  const start = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (s: Omit<Sample, 'i' | 'kind' | 'start' | 'end'>) => {
      if (settled) return;
      settled = true;
      resolve({ i, kind, start, end: Date.now(), ...s });
    };
    const req = http.request(
      { host: '127.0.0.1', port: opts.port, path: '/graphql', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...opts.headers } },
      (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (raw += d));
        res.on('error', () => {});
        res.on('close', () => {
          if (!res.complete) done({ outcome: 'transport', status: res.statusCode, code: 'aborted', detail: 'response closed before its end' });
        });
        res.on('end', () => {
          const servedBy = typeof res.headers['x-served-by'] === 'string' ? res.headers['x-served-by'] : undefined;
          let json: any;
          try {
            json = JSON.parse(raw);
          } catch {
            done({ outcome: 'error', status: res.statusCode, servedBy, detail: raw.slice(0, 200) });
            return;
          }
          if (res.statusCode === 200 && !json.errors) done({ outcome: 'ok', status: 200, servedBy, data: json.data });
          else done({ outcome: 'error', status: res.statusCode, servedBy, code: json.errors?.[0]?.extensions?.code, detail: raw.slice(0, 300) });
        });
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => done({ outcome: 'transport', code: e.code ?? e.message, detail: e.message }));
    req.end(text);
  });
}

export function requestLoop(opts: LoopOptions): RequestLoop {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const samples: Sample[] = [];
  let stopped = false;
  let seq = 0;
  const loops = Array.from({ length: opts.concurrency }, async () => {
    while (!stopped) {
      samples.push(await once(agent, opts, seq++));
      await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  });
  return {
    samples,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
      return samples;
    },
  };
}

/** A short account of the failures, for the test's report. */
export function describeFailures(samples: Sample[], t0: number): string[] {
  return samples
    .filter((s) => s.outcome !== 'ok')
    .slice(0, 20)
    .map((s) => `#${s.i} ${s.kind} +${s.start - t0}..${s.end - t0} ms ${s.outcome} status=${s.status ?? '-'} code=${s.code ?? '-'} via=${s.servedBy ?? '-'} ${s.detail ?? ''}`.trim());
}
