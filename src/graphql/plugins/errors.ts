import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { findAppError } from '../../lib/errors.js';
import type { Context } from '../context.js';

/**
 * Logs every unexpected error in full with the request id (the client only sees a masked one,
 * carrying that id so support can find the log line), and answers 503 + Retry-After when the
 * request failed only because the service was overloaded.
 */
export function errorsPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors, operationName }) {
          for (const e of errors) {
            const original = unwrapResolverError(e);
            if (findAppError(original)) continue;
            if (!e.originalError && e.extensions?.code) continue; // parse/validation: the client's mistake
            contextValue.log.error({ err: original, path: e.path, operationName }, 'internal error');
          }
        },
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (!errors) return;
          let unavailable = false;
          for (const e of errors) {
            const code = e.extensions?.code;
            if (code === 'INTERNAL_SERVER_ERROR') (e.extensions as Record<string, unknown>).requestId = contextValue.requestId;
            if (code === 'SERVICE_UNAVAILABLE') unavailable = true;
          }
          if (unavailable && !response.body.singleResult.data) {
            response.http.status = 503;
            response.http.headers.set('retry-after', '1');
          }
        },
      };
    },
  };
}
