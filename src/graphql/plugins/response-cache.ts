import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { envelop, useEngine, useSchema } from '@envelop/core';
import { useResponseCache } from '@envelop/response-cache';
import { execute, parse, print, specifiedRules, subscribe, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import { cacheRequest, type RedisResponseCache } from '../../cache/store.js';
import { policyFor, type OperationPolicy } from '../../cache/policy.js';
import type { Context } from '../context.js';
import { formatError, logGraphQLError } from '../errors.js';

const POLICY = Symbol('cachePolicy');

/**
 * An error raised before any field ran (coercing the variables, e.g. an impossible date) is the
 * caller's: BAD_USER_INPUT, as Apollo's own pipeline reports it.
 */
function coded(e: GraphQLError) {
  const json = e.toJSON();
  if (!e.path && !json.extensions?.code) return { ...json, extensions: { ...json.extensions, code: 'BAD_USER_INPUT' } };
  return json;
}
type CachedContext = Context & { [POLICY]?: OperationPolicy };

/**
 * What a cached answer may be shared across: the viewer's churches with their roles, and the
 * platform flag. Two STAFF of the same church share entries; a VIEWER, another church or a user
 * with one more church does not.
 */
export function sessionOf(ctx: Context): string | null {
  const v = ctx.auth.viewer;
  if (!v) return null;
  const roles = [...v.roles].sort(([a], [b]) => a - b).map(([c, r]) => `${c}=${r}`);
  return `${v.platformAdmin ? 'pa;' : ''}${roles.join(',')}`;
}

/**
 * @envelop/response-cache inside Apollo: for operations the policy table allows, this plugin
 * answers through envelop's execute (which reads and writes the cache) instead of Apollo's own.
 * Everything else runs through Apollo unchanged. Answers with errors are never cached.
 */
export function responseCachePlugin(cache: RedisResponseCache, schema: GraphQLSchema): ApolloServerPlugin<Context> {
  const documents = new WeakMap<DocumentNode, string>();
  const getEnveloped = envelop({
    plugins: [
      useEngine({ parse, validate, execute, subscribe, specifiedRules }),
      useSchema(schema),
      useResponseCache<CachedContext>({
        cache,
        session: (ctx) => sessionOf(ctx),
        enabled: (ctx) => Boolean(ctx[POLICY] && ctx.auth.viewer),
        // the TTL is the policy table's, not inferred from types
        ttl: 0,
        onTtl: ({ context }) => context[POLICY]?.ttlMs ?? 0,
        // mutations invalidate explicitly through src/cache/invalidate.ts, after commit
        invalidateViaMutation: false,
        includeExtensionMetadata: false,
        getDocumentString: (args) => documents.get(args.document) ?? print(args.document),
      }),
    ],
  });
  const fmt = formatError();

  return {
    async requestDidStart() {
      return {
        async responseForOperation({ operation, document, request, contextValue }) {
          if (!operation || !contextValue.auth.viewer) return null;
          const policy = policyFor(operation, request.variables ?? {});
          if (!policy) return null;
          const ctx = contextValue as CachedContext;
          ctx[POLICY] = policy;
          if (request.query) documents.set(document, request.query);
          const { execute: run } = getEnveloped(ctx);
          const result = await cacheRequest.run({ tags: policy.tags, operation: request.operationName ?? operation.name?.value ?? 'anonymous', attempt: ctx.http.cacheAttempt }, () =>
            run({ schema, document, variableValues: request.variables, contextValue: ctx, operationName: request.operationName }),
          );
          if ('errors' in result && result.errors?.length) {
            // Apollo formats and logs only the results it executes itself
            for (const e of result.errors as GraphQLError[]) {
              // no path and no code: the variables did not coerce (see coded), the caller's mistake
              if (!e.path && !e.extensions?.code) ctx.log.info({ code: 'BAD_USER_INPUT', message: e.message, operationName: request.operationName }, 'client error');
              else logGraphQLError(ctx.log, e, request.operationName);
            }
          }
          return {
            http: { status: undefined, headers: new HeaderMap() },
            body: {
              kind: 'single',
              singleResult: {
                data: (result as { data?: Record<string, unknown> | null }).data,
                ...(result.errors?.length ? { errors: (result.errors as GraphQLError[]).map((e) => fmt(coded(e), e)) } : {}),
              },
            },
          };
        },
      };
    },
  };
}
