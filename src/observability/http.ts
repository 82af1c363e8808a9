import type { RequestHandler } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/logger.js';
import { httpRequests, metricsText } from './metrics.js';

const ROUTES = ['/graphql', '/webhooks/twilio/status', '/webhooks/twilio/inbound', '/healthz', '/readyz', '/metrics'];

/** Counts one request's answer, by route and status, when it has been sent. */
export function countRequest(route: string, res: ServerResponse): void {
  res.once('finish', () => counterOf(route, res.statusCode).inc());
}

/** the counter of each route and status, looked up once (routes are a fixed set, statuses few) */
const counters = new Map<string, { inc(): void }>();
function counterOf(route: string, status: number) {
  const key = `${route} ${status}`;
  let c = counters.get(key);
  if (!c) {
    if (counters.size >= 1000) counters.clear();
    counters.set(key, (c = httpRequests.labels({ route, status: String(status) })));
  }
  return c;
}

/**
 * Counts every HTTP request by route (a fixed set: paths a client makes up count as `other`) and
 * status; the /graphql lane (src/http/lane.ts) has counted its own.
 */
export function countRequests(): RequestHandler {
  return (req, res, next) => {
    if (res.locals.laned !== true) countRequest(ROUTES.includes(req.path) ? req.path : req.path.startsWith('/admin/queues') ? '/admin/queues' : 'other', res);
    next();
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether a request carries `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time). */
function hasToken(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

export interface MetricsAccess {
  host: string;
  /** 0: no listener of its own */
  port: number;
  token: string | undefined;
}

async function answer(authorization: string | undefined, access: MetricsAccess, onPublicPort: boolean): Promise<{ status: number; type: string; body: string; headers?: Record<string, string> }> {
  if (access.token === undefined && onPublicPort) return { status: 404, type: 'text/plain', body: 'Not Found' };
  if (access.token !== undefined && !hasToken(authorization, access.token)) {
    return { status: 401, type: 'text/plain', body: 'metrics need Authorization: Bearer <METRICS_TOKEN>', headers: { 'www-authenticate': 'Bearer' } };
  }
  try {
    const { contentType, text } = await metricsText();
    return { status: 200, type: contentType, body: text };
  } catch (e) {
    return { status: 503, type: 'text/plain', body: `metrics unavailable: ${(e as Error).message}` };
  }
}

/**
 * /metrics on the public port: it lists runtime versions and queue counts, so it is not there
 * (404) unless METRICS_TOKEN is set, and then only for a request bearing that token.
 */
export function publicMetrics(access: MetricsAccess): RequestHandler {
  return async (req, res) => {
    const r = await answer(req.get('authorization'), access, true);
    res.status(r.status).set(r.headers ?? {}).type(r.type).send(r.body);
  };
}

/**
 * The metrics listener (METRICS_HOST:METRICS_PORT, loopback by default), in the process that
 * sees every API process's metrics: the cluster primary, or the only API process. A port that is
 * taken costs the metrics, not the API: the failure is logged and the API starts anyway.
 */
export async function startMetricsListener(access: MetricsAccess, log: Logger): Promise<{ port: number; close(): Promise<void> } | null> {
  if (!access.port) return null;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    void answer(req.headers.authorization, access, false).then((r) => {
      res.writeHead(r.status, { 'content-type': r.type, ...r.headers }).end(r.body);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(access.port, access.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    log.warn({ err: (e as Error).message, host: access.host, port: access.port }, 'metrics listener could not start; /metrics is not served');
    return null;
  }
  const { port } = server.address() as AddressInfo;
  log.info({ url: `http://${access.host}:${port}/metrics` }, 'metrics listener ready');
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
