import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../graphql/context.js';
import type { Logger } from '../lib/logger.js';
import { graphqlErrors, operationLabel, requestDuration } from './metrics.js';

export const SLOW_REQUEST_MS = 1000;

/**
 * A finished GraphQL request, however it was answered (executed, or a cache hit at the door):
 * duration by operation into Prometheus, errors by code, one log line. The line carries
 * `bindings` (request id, user) and is built only when its level is enabled: a child logger per
 * request for a debug line nobody reads was measurable on the hot path.
 */
/** The duration histogram's series per (operation, type): labels hashed once, not per request. */
const series = new Map<string, { observe(v: number): void }>();
function durationOf(operation: string, type: string) {
  const key = `${type}\u0000${operation}`;
  let child = series.get(key);
  if (!child) {
    if (series.size >= 2000) series.clear(); // operation labels are bounded (operationLabel); this too
    child = requestDuration.labels({ operation, type });
    series.set(key, child);
  }
  return child;
}

export function recordGraphqlRequest(
  log: Logger | undefined,
  r: { operation: string; type: string; seconds: number; codes: string[] },
  bindings: Record<string, unknown> = {},
  slowMs = SLOW_REQUEST_MS,
): void {
  durationOf(r.operation, r.type).observe(r.seconds);
  for (const code of r.codes) graphqlErrors.inc({ code });
  const info = r.codes.length > 0 || r.seconds * 1000 >= slowMs;
  if (!log || (!info && !log.isLevelEnabled('debug'))) return;
  const line = { ...bindings, operation: r.operation, type: r.type, ms: Math.round(r.seconds * 1000), errors: r.codes.length ? r.codes : undefined };
  if (info) log.info(line, 'graphql request');
  else log.debug(line, 'graphql request');
}

/**
 * Per request: duration by operation into Prometheus, errors by code, and one structured log line
 * (request id, operation, duration, error codes) — at info when slow or failed, else at debug.
 */
export function observabilityPlugin(slowMs = SLOW_REQUEST_MS): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      const started = process.hrtime.bigint();
      let name = request.operationName;
      let operation = operationLabel(name);
      let type = 'unknown';
      return {
        async didResolveOperation({ operation: op, operationName }) {
          name = operationName ?? op?.name?.value;
          operation = operationLabel(name);
          type = op?.operation ?? 'unknown';
        },
        // called once every didResolveOperation (validation, the limits) has passed, just before the
        // operation runs (or the response cache answers it): only now may its name claim a label
        async responseForOperation({ contextValue }) {
          operation = operationLabel(name, Boolean(contextValue.auth.viewer));
          return null;
        },
        async willSendResponse({ response, contextValue }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const codes = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []).map((e) => String(e.extensions?.code ?? 'UNKNOWN')) : [];
          recordGraphqlRequest(contextValue?.log, { operation, type, seconds, codes }, {}, slowMs);
        },
      };
    },
  };
}
