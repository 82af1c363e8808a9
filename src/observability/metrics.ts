import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics (prom-client). Each process keeps its own registry; in cluster mode the
 * primary aggregates every worker's (AggregatorRegistry) and an API process answering /metrics asks
 * the primary for the cluster-wide text. Gauges describing shared state (queue counts) aggregate
 * with max, so N processes reporting one queue do not multiply it.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });
// prom-client's cluster workers answer the primary with the registries set here, by default only
// its global registry (which nothing here uses): without this the cluster's text was empty
AggregatorRegistry.setRegistries([registry]);

export const requestDuration = new Histogram({
  name: 'steeple_graphql_request_duration_seconds',
  help: 'GraphQL request duration by operation name and type',
  labelNames: ['operation', 'type'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const graphqlErrors = new Counter({
  name: 'steeple_graphql_errors_total',
  help: 'GraphQL errors by extensions.code',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const cacheEvents = new Counter({
  name: 'steeple_response_cache_events_total',
  help: 'Response cache hits, misses, writes, invalidations and errors',
  labelNames: ['event'] as const,
  registers: [registry],
});

export const httpRequests = new Counter({
  name: 'steeple_http_requests_total',
  help: 'HTTP requests by route and status code',
  labelNames: ['route', 'status'] as const,
  registers: [registry],
});

export const poolRejected = new Counter({
  name: 'steeple_db_pool_acquire_timeouts_total',
  help: 'Requests that found no free database connection in time',
  registers: [registry],
});

const OPERATION = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_OPERATION_LABELS = 200;
const seen = new Set<string>();
/**
 * Operation names become labels, at most 200 of them. A name is claimed only by an operation that
 * validated, passed the limits and ran for a signed-in viewer (`claim`); anything else uses a name
 * already claimed or counts as `other`, so strangers sending junk names cannot use up the labels.
 */
export function operationLabel(name: string | null | undefined, claim = false): string {
  if (!name || !OPERATION.test(name)) return 'anonymous';
  if (seen.has(name)) return name;
  if (!claim || seen.size >= MAX_OPERATION_LABELS) return 'other';
  seen.add(name);
  return name;
}

const aggregator = new AggregatorRegistry();
let nextId = 0;
const waiting = new Map<number, (text: string) => void>();
/** this process is a cluster primary whose workers hold the metrics (serveClusterMetrics ran) */
let clustered = false;

/** The metrics text for /metrics: this process's, or the whole cluster's when a primary exists. */
export async function metricsText(): Promise<{ contentType: string; text: string }> {
  if (clustered) return { contentType: registry.contentType, text: await aggregator.clusterMetrics() };
  if (cluster.isWorker && process.send) {
    const id = ++nextId;
    const text = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary did not answer with cluster metrics'));
      }, 5000);
      waiting.set(id, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
      process.send!({ type: 'steeple:metrics-request', id });
    });
    return { contentType: registry.contentType, text };
  }
  return { contentType: registry.contentType, text: await registry.metrics() };
}

/** In an API worker: receives the primary's answers. */
export function listenForClusterMetrics(): void {
  process.on('message', (m: { type?: string; id?: number; text?: string }) => {
    if (m?.type === 'steeple:metrics-response' && m.id !== undefined) waiting.get(m.id)?.(m.text ?? '');
  });
}

/** In the primary: answers a worker's request with every worker's metrics aggregated. */
export function serveClusterMetrics(): void {
  clustered = true;
  cluster.on('message', (worker, m: { type?: string; id?: number }) => {
    if (m?.type !== 'steeple:metrics-request') return;
    aggregator
      .clusterMetrics()
      .then((text) => worker.send({ type: 'steeple:metrics-response', id: m.id, text }))
      .catch((e: Error) => worker.send({ type: 'steeple:metrics-response', id: m.id, text: `# error: ${e.message}\n` }));
  });
}

type Gate = { inUse: number; waiting: number; size: number; rejected: number };
type CountingQueue = {
  getJobCounts(...t: string[]): Promise<Record<string, number>>;
  getJobs(types: Array<'wait' | 'paused'>, start: number, end: number, asc: boolean): Promise<Array<{ timestamp: number } | undefined>>;
};
const gates = new Set<Gate>();
const queues = new Set<CountingQueue>();
let rejectedSeen = 0;

registry.registerMetric(
  new Gauge({
    name: 'steeple_db_pool_connections',
    help: 'Database pool: statement slots (DB_POOL_MAX x DB_PIPELINE) in use, free, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [],
    collect() {
      let inUse = 0;
      let size = 0;
      let waitingN = 0;
      let rejected = 0;
      for (const g of gates) {
        inUse += g.inUse;
        size += g.size;
        waitingN += g.waiting;
        rejected += g.rejected;
      }
      this.set({ state: 'in_use' }, inUse);
      this.set({ state: 'free' }, size - inUse);
      this.set({ state: 'waiting' }, waitingN);
      if (rejected > rejectedSeen) poolRejected.inc(rejected - rejectedSeen);
      rejectedSeen = rejected;
    },
  }),
);

registry.registerMetric(
  new Gauge({
    name: 'steeple_sms_queue_jobs',
    help: 'SMS queue jobs by state',
    labelNames: ['state'] as const,
    registers: [],
    aggregator: 'max',
    async collect() {
      for (const q of queues) {
        try {
          const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'paused');
          for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
          return; // one queue, seen through any connection
        } catch {
          // that connection is down: try another, or report nothing this scrape
        }
      }
    },
  }),
);

registry.registerMetric(
  new Gauge({
    name: 'steeple_sms_queue_oldest_waiting_seconds',
    help: 'Age of the oldest SMS job waiting to be picked up, or held by a paused queue (0: none): texts held up behind a stuck, absent or paused worker',
    registers: [],
    aggregator: 'max',
    async collect() {
      for (const q of queues) {
        try {
          // waiting, or held in a paused queue: the oldest of each list is its first
          const firsts = await Promise.all((['wait', 'paused'] as const).map((t) => q.getJobs([t], 0, 0, true)));
          const oldest = Math.min(...firsts.map(([j]) => j?.timestamp ?? Infinity));
          this.set(Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0);
          return;
        } catch {
          // as above
        }
      }
    },
  }),
);

/** Reports a database pool's usage and the queue's counts when scraped; returns how to stop. */
export function observe(sources: { gate?: Gate; queue?: CountingQueue }): () => void {
  if (sources.gate) gates.add(sources.gate);
  if (sources.queue) queues.add(sources.queue);
  return () => {
    if (sources.gate) gates.delete(sources.gate);
    if (sources.queue) queues.delete(sources.queue);
  };
}

export const replicaLag = new Gauge({
  name: 'steeple_db_replica_lag_seconds',
  help: 'How far the read replica is behind the primary, as this process last saw it (-1: down or not a replica)',
  registers: [registry],
  aggregator: 'max',
});

export const replicaReads = new Counter({
  name: 'steeple_db_routed_reads_total',
  help: 'Read-only operations routed by the read router, by the server that ran them',
  labelNames: ['target'] as const,
  registers: [registry],
});
