import { GraphQLError, parse, validate, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { createContext, type AppDeps } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import { measure } from '../graphql/plugins/limits.js';
import type { TrustedDocuments } from '../graphql/trusted-documents.js';
import { authenticate } from '../modules/auth/authenticate.js';
import type { AuthState, Viewer } from '../modules/viewer.js';

/** One open socket: the credentials it came with and what they are worth now. */
interface OpenSocket {
  socket: WebSocket;
  /** whose socket it is (kept: the state loses its viewer when access ends) */
  userId: number | undefined;
  cookieHeader: string | undefined;
  bearer: string | undefined;
  state: AuthState;
  /** rechecks of one socket run one after another; at most one waits behind the running one */
  checking: Promise<void>;
  queued: boolean;
}

function sameAccess(a: Viewer, b: Viewer): boolean {
  if (a.userId !== b.userId || a.platformAdmin !== b.platformAdmin || a.roles.size !== b.roles.size) return false;
  for (const [church, role] of a.roles) if (b.roles.get(church) !== role) return false;
  return true;
}

/**
 * GraphQL over WebSocket (graphql-ws) on the API's own http.Server, path /graphql. The viewer is
 * the session cookie of the upgrade request, or `authorization: "Bearer stp_…"` in the connection
 * params, authenticated when the connection opens. Subscriptions are authorised like queries and
 * measured against the same limits.
 *
 * Access ends for open sockets too: when a user's access changes (logout, sessions revoked, role
 * changed, token revoked, deactivated: SessionStore announces it over Redis to every API process),
 * and every WS_AUTH_RECHECK_S as a safety net, each socket of that user authenticates again. Gone
 * credentials close it with 4401, changed roles with 4403 (the client reconnects and is authorised
 * afresh). Meanwhile subscription resolvers see the socket's current state (a live `ctx.auth`).
 */
export function useSubscriptions(schema: GraphQLSchema, wsServer: WebSocketServer, deps: AppDeps, trusted: TrustedDocuments) {
  const fmt = formatError();
  const open = new Map<WebSocket, OpenSocket>();
  const byUser = new Map<number, Set<OpenSocket>>();
  const authDeps = { db: deps.db, sessions: deps.sessions, cookieName: deps.config.auth.cookieName, log: deps.log };

  /** announcements heard so far: a socket authenticating across one checks again */
  let heard = 0;
  const index = (s: OpenSocket, add: boolean) => {
    const userId = s.userId;
    if (userId === undefined) return;
    const set = byUser.get(userId) ?? new Set<OpenSocket>();
    if (add) byUser.set(userId, set.add(s));
    else if (set.delete(s) && set.size === 0) byUser.delete(userId);
  };

  const recheck = (s: OpenSocket): Promise<void> => {
    if (s.queued) return s.checking; // one waiting recheck covers every announcement before it ran
    s.queued = true;
    s.checking = s.checking.then(async () => {
      s.queued = false;
      const before = s.state.viewer;
      if (!before || !open.has(s.socket)) return;
      let now: AuthState;
      try {
        now = await authenticate({ cookieHeader: s.cookieHeader, authorization: s.bearer }, authDeps, { slide: false });
      } catch (e) {
        // Redis or the database is unavailable: keep the socket; the next recheck tries again
        deps.log.warn({ err: (e as Error).message, userId: before.userId }, 'could not recheck a websocket');
        return;
      }
      if (now.viewer && sameAccess(before, now.viewer)) return;
      // from here on, resolvers of this socket see no viewer (events in flight are dropped)
      s.state = { viewer: null, authError: now.authError ?? 'Your access changed; reconnect' };
      if (!now.viewer) s.socket.close(CloseCode.Unauthorized, 'Unauthorized: your sign-in has ended');
      else s.socket.close(CloseCode.Forbidden, 'Forbidden: your access changed; reconnect');
      deps.log.info({ userId: before.userId, ended: !now.viewer }, 'closed a websocket whose access changed');
    });
    return s.checking;
  };

  const unsubscribe = deps.sessions.bus
    ?.subscribe((userId) => {
      heard++;
      for (const s of byUser.get(userId) ?? []) void recheck(s);
    })
    .catch((e) => {
      deps.log.error({ err: (e as Error).message }, 'could not subscribe to authorization changes; sockets rely on the periodic recheck');
      return undefined;
    });
  const sweep = setInterval(() => {
    for (const s of open.values()) void recheck(s);
  }, deps.config.http.wsAuthRecheckS * 1000);
  sweep.unref();

  const server = useServer<Record<string, unknown>, { request: IncomingMessage; socket: WebSocket }>(
    {
      schema,
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const bearer = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : undefined;
        const seen = heard;
        const state = await authenticate({ cookieHeader: request.headers.cookie, authorization: bearer }, authDeps);
        if (socket.readyState !== socket.OPEN) return false;
        const s: OpenSocket = {
          socket,
          userId: state.viewer?.userId,
          cookieHeader: request.headers.cookie,
          bearer,
          state,
          checking: Promise.resolve(),
          queued: false,
        };
        open.set(socket, s);
        index(s, true);
        socket.once('close', () => {
          open.delete(socket);
          index(s, false);
        });
        // an announcement arrived while this socket authenticated: it may predate what was read
        if (heard !== seen) void recheck(s);
        return true;
      },
      context: async (ctx) => {
        const req = ctx.extra.request;
        const s = open.get(ctx.extra.socket);
        if (!s) throw new GraphQLError('The connection is closing', { extensions: { code: 'UNAUTHENTICATED' } });
        // a live view: a recheck that ends the viewer's access is seen by running subscriptions
        const auth: AuthState = {
          get viewer() {
            return s.state.viewer;
          },
          get authError() {
            return s.state.authError;
          },
        };
        return createContext(deps, auth, { ip: req.socket.remoteAddress ?? 'unknown', setSessionCookie() {}, clearSessionCookie() {} }, randomUUID());
      },
      onSubscribe: (_ctx, _id, payload) => {
        // trusted documents as over HTTP: a hash names its text (graphql-ws needs a query string, so
        // a hash-only subscribe sends ''); in allow-list mode anything else is refused
        const trust = trusted.subscription(payload.query || undefined, payload.extensions);
        if ('code' in trust) return [new GraphQLError(trust.message, { extensions: { code: trust.code } })];
        (payload as { query: string }).query = trust.query;
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

  return {
    async dispose() {
      clearInterval(sweep);
      (await unsubscribe)?.();
      await server.dispose();
    },
  };
}
