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

export const poolRejected = new Counter({
  name: 'steeple_db_pool_acquire_timeouts_total',
  help: 'Requests that found no free database connection in time',
  registers: [registry],
});

const OPERATION = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const seen = new Set<string>();
/** Operation names become labels: bounded, and only names a client could not use to flood them. */
export function operationLabel(name: string | null | undefined): string {
  if (!name || !OPERATION.test(name)) return 'anonymous';
  if (seen.has(name)) return name;
  if (seen.size >= 200) return 'other';
  seen.add(name);
  return name;
}

const aggregator = new AggregatorRegistry();
let nextId = 0;
const waiting = new Map<number, (text: string) => void>();

/** The metrics text for /metrics: this process's, or the whole cluster's when a primary exists. */
export async function metricsText(): Promise<{ contentType: string; text: string }> {
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
  cluster.on('message', (worker, m: { type?: string; id?: number }) => {
    if (m?.type !== 'steeple:metrics-request') return;
    aggregator
      .clusterMetrics()
      .then((text) => worker.send({ type: 'steeple:metrics-response', id: m.id, text }))
      .catch((e: Error) => worker.send({ type: 'steeple:metrics-response', id: m.id, text: `# error: ${e.message}\n` }));
  });
}

/** Reports a database pool's usage and a queue's counts when scraped. */
export function observe(sources: {
  gate?: { inUse: number; waiting: number; size: number; rejected: number };
  queue?: { getJobCounts(...t: string[]): Promise<Record<string, number>> };
}): void {
  let rejectedSeen = 0;
  registry.removeSingleMetric('steeple_db_pool_connections');
  registry.removeSingleMetric('steeple_sms_queue_jobs');
  registry.registerMetric(
    new Gauge({
      name: 'steeple_db_pool_connections',
      help: 'Database pool: connections in use, free, and requests waiting for one',
      labelNames: ['state'] as const,
      registers: [],
      collect() {
        const g = sources.gate;
        if (!g) return;
        this.set({ state: 'in_use' }, g.inUse);
        this.set({ state: 'free' }, g.size - g.inUse);
        this.set({ state: 'waiting' }, g.waiting);
        poolRejected.inc(g.rejected - rejectedSeen);
        rejectedSeen = g.rejected;
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
        if (!sources.queue) return;
        try {
          const counts = await sources.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'paused');
          for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
        } catch {
          // Redis down: no queue figures in this scrape
        }
      },
    }),
  );
}
