import { GraphQLError, parse, validate, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocketServer } from 'ws';
import { createContext, type AppDeps } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import { measure } from '../graphql/plugins/limits.js';
import { authenticate } from '../modules/auth/authenticate.js';

/**
 * GraphQL over WebSocket (graphql-ws) on the API's own http.Server, path /graphql. The viewer is
 * the session cookie of the upgrade request, or `authorization: "Bearer stp_…"` in the connection
 * params. Subscriptions are authorised like queries and measured against the same limits.
 */
export function useSubscriptions(schema: GraphQLSchema, wsServer: WebSocketServer, deps: AppDeps) {
  const fmt = formatError();
  return useServer<Record<string, unknown>, { request: IncomingMessage }>(
    {
      schema,
      context: async (ctx) => {
        const req = ctx.extra.request;
        const bearer = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : undefined;
        const auth = await authenticate(
          { cookieHeader: req.headers.cookie, authorization: bearer },
          { db: deps.db, sessions: deps.sessions, cookieName: deps.config.auth.cookieName, log: deps.log },
        );
        return createContext(deps, auth, { ip: req.socket.remoteAddress ?? 'unknown', setSessionCookie() {}, clearSessionCookie() {} }, randomUUID());
      },
      onSubscribe: (_ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query, { maxTokens: deps.config.graphql.maxTokens });
        } catch (e) {
          return [e as GraphQLError];
        }
        const errors = validate(schema, document);
        if (errors.length) return errors;
        const op = document.definitions.find((d) => d.kind === 'OperationDefinition');
        if (op && op.kind === 'OperationDefinition') {
          const m = measure(schema, op, {}, payload.variables ?? {});
          const g = deps.config.graphql;
          if (m.depth > g.maxDepth || m.aliases > g.maxAliases || m.cost > g.maxCost) {
            return [new GraphQLError('Subscription exceeds the query limits', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })];
          }
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!('errors' in result) || !result.errors?.length) return result;
        return { ...result, errors: result.errors.map((e) => fmt(e.toJSON(), e)) } as unknown as typeof result;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => fmt(e.toJSON(), e)) as unknown as GraphQLError[],
    },
    wsServer,
  );
}
