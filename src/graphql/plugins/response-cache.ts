import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { envelop, useEngine, useSchema } from '@envelop/core';
import { useResponseCache } from '@envelop/response-cache';
import { execute, parse, print, specifiedRules, subscribe, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { RedisResponseCache } from '../../cache/store.js';
import type { Context } from '../context.js';
import { formatError, logGraphQLError } from '../errors.js';

/**
 * An error raised before any field ran (coercing the variables, e.g. an impossible date) is the
 * caller's: BAD_USER_INPUT, as Apollo's own pipeline reports it.
 */
function coded(e: GraphQLError) {
  const json = e.toJSON();
  if (!e.path && !json.extensions?.code) return { ...json, extensions: { ...json.extensions, code: 'BAD_USER_INPUT' } };
  return json;
}
/**
 * @envelop/response-cache inside Apollo, for a miss the cache door (src/http/cache-door.ts) has
 * already decided is cacheable, keyed and looked up: this plugin executes it through envelop,
 * which collects the entities of the answer and writes it with them under the door's key.
 * Everything else runs through Apollo unchanged. Answers with errors are never cached.
 */
export function responseCachePlugin(cache: RedisResponseCache, schema: GraphQLSchema): ApolloServerPlugin<Context> {
  const documents = new WeakMap<DocumentNode, string>();
  const getEnveloped = envelop({
    plugins: [
      useEngine({ parse, validate, execute, subscribe, specifiedRules }),
      useSchema(schema),
      useResponseCache<Context>({
        cache,
        // the door's key (it names the viewer's access: see accessKey)
        buildResponseCacheKey: ({ context }) => (context as Context).http.cache!.key,
        session: () => null,
        enabled: (ctx) => ctx.http.cache !== undefined,
        // the TTL is the policy table's, not inferred from types
        ttl: 0,
        onTtl: ({ context }) => context.http.cache?.ttlMs ?? 0,
        // mutations invalidate explicitly through src/cache/invalidate.ts, after commit
        invalidateViaMutation: false,
        // an answer with errors is never cached (envelop's default says so on the console, for
        // every such answer; the errors themselves are logged as the request's)
        shouldCacheResult: ({ result }) => !result.errors?.length,
        includeExtensionMetadata: false,
        getDocumentString: (args) => documents.get(args.document) ?? print(args.document),
      }),
    ],
  });
  const fmt = formatError();

  return {
    async requestDidStart() {
      return {
        async responseForOperation({ operation, document, request, contextValue: ctx }) {
          if (!operation || !ctx.http.cache) return null;
          if (request.query) documents.set(document, request.query);
          const { execute: run } = getEnveloped(ctx);
          const result = await run({ schema, document, variableValues: request.variables, contextValue: ctx, operationName: request.operationName });
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
