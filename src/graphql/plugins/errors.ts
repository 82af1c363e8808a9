import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Context } from '../context.js';
import { logGraphQLError, RETRY_AFTER_S } from '../errors.js';

/**
 * Logs each error once with the request id: the client's mistakes (parse, validation, variables,
 * NOT_FOUND, FORBIDDEN, BAD_USER_INPUT …) at info without a stack, an unavailable dependency as a
 * warning, and only unexpected errors at error level with their stack (the client sees those
 * masked, carrying the request id so support can find the line). Answers 503 + Retry-After when
 * the request failed only because the service was overloaded or a dependency was down.
 */
/**
 * What the errors of an answer add to it: the request id on masked internal errors, and whether
 * the whole answer is a 503 (the request failed only because a dependency was down).
 */
export function settleErrors(errors: readonly GraphQLFormattedError[], data: Record<string, unknown> | null | undefined, requestId: string): { unavailable: boolean } {
  let unavailable = false;
  for (const e of errors) {
    const code = e.extensions?.code;
    if (code === 'INTERNAL_SERVER_ERROR') (e.extensions as Record<string, unknown>).requestId = requestId;
    if (code === 'SERVICE_UNAVAILABLE') unavailable = true;
  }
  // nothing was answered (no data, or every root field null): the whole request is retryable
  return { unavailable: unavailable && (!data || Object.values(data).every((v) => v === null)) };
}

export function errorsPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors, operationName }) {
          for (const e of errors) logGraphQLError(contextValue.log, e, operationName);
        },
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (!errors) return;
          if (settleErrors(errors, response.body.singleResult.data, contextValue.requestId).unavailable) {
            response.http.status = 503;
            response.http.headers.set('retry-after', String(RETRY_AFTER_S));
          }
        },
      };
    },
  };
}
