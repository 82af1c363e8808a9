import { HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { inputDataError, isDatabaseUnavailable } from '../db/errors.js';
import { BadInputError, findAppError, ServiceUnavailableError, type AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { isRedisUnavailable } from '../redis/errors.js';

// Codes graphql-js / Apollo assign themselves for a request that never reached a resolver.
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_ALLOWED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/** Seconds a client is told to wait (Retry-After) when a dependency is unavailable. */
export const RETRY_AFTER_S = 1;

/** The domain error an error stands for: thrown by a resolver, wrapped by Apollo, or a Redis or PostgreSQL outage. */
function domainError(error: unknown): AppError | undefined {
  const unwrapped = unwrapResolverError(error);
  const found = findAppError(unwrapped) ?? findAppError((unwrapped as { originalError?: unknown })?.originalError);
  if (found) return found;
  if (isRedisUnavailable(unwrapped) || isDatabaseUnavailable(unwrapped)) return new ServiceUnavailableError('The service is briefly unavailable; retry shortly');
  return inputError(unwrapped);
}

// graphql-js stops coercing variables after 50 bad values with this error, which carries no code
const VARIABLE_ERROR_LIMIT = 'Too many errors processing variables, error limit reached. Execution aborted.';

/**
 * Client mistakes that reach here without a code: graphql-js giving up on the variables, and
 * (a safety net behind the boundary validation, which names the argument) a PostgreSQL data
 * exception caused by a value the database cannot hold. Neither can name the argument.
 */
function inputError(e: unknown): AppError | undefined {
  if (e instanceof GraphQLError && e.message === VARIABLE_ERROR_LIMIT) return new BadInputError({ field: 'variables', message: 'too many invalid values' });
  const data = inputDataError(e);
  return data ? new BadInputError({ field: 'arguments', message: data }) : undefined;
}

/**
 * What an error is to the operator: the client's mistake (an info-level fact, no stack), a
 * dependency that is down (a warning: the client is told to retry), or a bug (error, with stack).
 * The same reading decides what the client sees (formatError).
 */
export function classifyError(error: unknown): { kind: 'client' | 'unavailable' | 'internal'; code: string } {
  const app = domainError(error);
  if (app) return { kind: app.code === 'SERVICE_UNAVAILABLE' ? 'unavailable' : 'client', code: app.code };
  const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
  if (typeof code === 'string' && CLIENT_CODES.has(code)) return { kind: 'client', code };
  return { kind: 'internal', code: 'INTERNAL_SERVER_ERROR' };
}

/** One log line per error, at the level its kind deserves. */
export function logGraphQLError(log: Logger, error: GraphQLError, operationName: string | null | undefined): void {
  const { kind, code } = classifyError(error);
  const path = error.path?.join('.');
  if (kind === 'client') log.info({ code, message: error.message, path, operationName }, 'client error');
  else if (kind === 'unavailable') log.warn({ code, reason: (unwrapResolverError(error) as Error).message, path, operationName }, 'dependency unavailable');
  else log.error({ err: unwrapResolverError(error), path, operationName }, 'internal error');
}

/**
 * An error Apollo answers as is, before any operation ran (the request's context could not be
 * built): SERVICE_UNAVAILABLE, HTTP 503 and Retry-After.
 */
export function unavailableResponse(message = 'The service is briefly unavailable; retry shortly'): GraphQLError {
  return new GraphQLError(message, {
    originalError: new ServiceUnavailableError(message),
    extensions: {
      code: 'SERVICE_UNAVAILABLE',
      http: { status: 503, headers: new HeaderMap([['retry-after', String(RETRY_AFTER_S)]]) },
    },
  });
}

/**
 * The single mapping from errors to what a client sees: domain errors keep their code and
 * fields; anything else is masked (no stack, no SQL). The errors plugin logs the original with
 * the request id and adds that id to the masked error.
 */
export function formatError() {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = domainError(error);
    if (original) {
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: original.code, ...original.extensions },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) {
      const { stacktrace: _s, ...ext } = formatted.extensions ?? {};
      return { ...formatted, extensions: ext };
    }
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}

/**
 * What the request's context answers when building it failed (authenticating needs Redis for a
 * session, PostgreSQL for a token): a dependency that is down becomes one warning with the request
 * id and a 503 the client may retry; anything else is a bug, logged with its stack.
 */
export function contextFailure(error: unknown, log: Logger, requestId: string): GraphQLError | unknown {
  if (classifyError(error).kind === 'unavailable') {
    log.warn({ requestId, reason: (error as Error)?.message }, 'dependency unavailable; answered 503');
    return unavailableResponse();
  }
  log.error({ err: error, requestId }, 'internal error');
  return error;
}
