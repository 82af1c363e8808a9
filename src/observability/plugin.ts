import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../graphql/context.js';
import { graphqlErrors, operationLabel, requestDuration } from './metrics.js';

/**
 * Per request: duration by operation into Prometheus, errors by code, and one structured log line
 * (request id, operation, duration, error codes) — at info when slow or failed, else at debug.
 */
export function observabilityPlugin(slowMs = 1000): ApolloServerPlugin<Context> {
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
          requestDuration.observe({ operation, type }, seconds);
          const codes: string[] = [];
          if (response.body.kind === 'single') {
            for (const e of response.body.singleResult.errors ?? []) {
              const code = String(e.extensions?.code ?? 'UNKNOWN');
              codes.push(code);
              graphqlErrors.inc({ code });
            }
          }
          const line = { operation, type, ms: Math.round(seconds * 1000), errors: codes.length ? codes : undefined };
          if (codes.length || seconds * 1000 >= slowMs) contextValue?.log?.info(line, 'graphql request');
          else contextValue?.log?.debug(line, 'graphql request');
        },
      };
    },
  };
}
