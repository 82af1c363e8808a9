import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import http from 'node:http';
import { createContext, type AppDeps, type Context } from '../graphql/context.js';
import { contextFailure, formatError } from '../graphql/errors.js';
import { errorsPlugin } from '../graphql/plugins/errors.js';
import { limitsPlugin } from '../graphql/plugins/limits.js';
import { responseCachePlugin } from '../graphql/plugins/response-cache.js';
import { cacheDoor, doorOf, exchangeFor, noteWrite } from './cache-door.js';
import { countRequests, publicMetrics } from '../observability/http.js';
import { observabilityPlugin } from '../observability/plugin.js';
import { getSchema } from '../graphql/schema.js';
import { WebSocketServer } from 'ws';
import { useSubscriptions } from './subscriptions.js';
import { allowedOrigins, corsFor, originGuard } from './origin.js';
import { TrustedDocuments } from '../graphql/trusted-documents.js';
import { packageDir } from '../config/dotenv.js';
import { webApp, WEB_APP_PATH } from './web-app.js';
import path from 'node:path';
import { twilioWebhooks } from './webhooks.js';
import { EXPORT_PATH, exportRoutes } from './export.js';
import { IMPORT_PATH, importRoutes } from './import.js';
import { emailLinks, emailWebhooks } from './email.js';
import { QUEUE_BOARD_PATH, queueBoard } from './queue-board.js';
import { requestErrors } from './request-errors.js';
import { graphqlLane, laned } from './lane.js';

/** the largest /graphql body (a 5,000-row import fits) */
const BODY_LIMIT = 4 * 2 ** 20;

export interface AppHandle {
  app: express.Express;
  httpServer: http.Server;
  apollo: ApolloServer<Context>;
  /** readiness checks beyond "the process is up"; each resolves or throws */
  readiness: Array<() => Promise<unknown>>;
  /** from now on /readyz answers 503 (the process is shutting down) */
  setDraining(): void;
}

/** Express app with /graphql, /healthz and /readyz on one http.Server (websockets will share it). */
export async function createApp(deps: AppDeps, readiness: AppHandle['readiness'] = []): Promise<AppHandle> {
  const { config } = deps;
  const auth_ = config.auth;
  const app = express();
  app.disable('x-powered-by');
  // whose X-Forwarded-For to believe (the client IP feeds the sign-in rate limit)
  // (parsed in src/config/trust-proxy.ts into a boolean, a hop count or a list: express reads a
  // string as an address list)
  app.set('trust proxy', config.http.trustProxy);
  // POST /graphql with a JSON body goes to the cache door directly; the rest to Express (lane.ts)
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = app;
  const httpServer = http.createServer((req, res) => handler(req, res));
  // keep-alive longer than typical load balancer idle timeouts, so they close first
  httpServer.keepAliveTimeout = 65_000;

  const schema = await getSchema();
  // one list of origins for CORS and for sockets: a cross-site page must not call /graphql or open
  // a socket with the user's cookie (origin.ts)
  const origins = allowedOrigins(config);
  const cors = corsFor(config, origins);
  const trusted = TrustedDocuments.load(config.trustedDocuments.mode, path.resolve(packageDir(), config.trustedDocuments.manifest));
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', verifyClient: originGuard(config, origins) });
  const wsCleanup = useSubscriptions(schema, wsServer, deps, trusted);

  const apollo = new ApolloServer<Context>({
    schema,
    formatError: formatError(),
    includeStacktraceInErrorResponses: false,
    introspection: !config.isProduction,
    // no "did you mean …" suggestions (they reveal the schema) in production
    hideSchemaDetailsFromClientErrors: config.isProduction,
    parseOptions: { maxTokens: config.graphql.maxTokens },
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // APQ: texts registered by hash live in the store the cache door reads too (trusted-documents.ts);
    // in allow-list mode the door refuses unknown hashes before Apollo could register one
    persistedQueries: config.trustedDocuments.mode === 'apq' ? { cache: trusted.apq, ttl: null } : false,
    // main.ts owns SIGTERM/SIGINT (drain, then close pool and Redis); Apollo must not race it
    stopOnTerminationSignals: false,
    plugins: [
      // Apollo's default cache-control plugin hooks every field (willResolveField), which makes it
      // wrap every resolver; caching here is @envelop/response-cache's job, so it is turned off
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.http.shutdownGraceMs }),
      {
        // on stop: close every websocket (1001 Going Away) before the HTTP drain completes
        async serverWillStart() {
          return { drainServer: async () => wsCleanup.dispose() };
        },
      },
      errorsPlugin(),
      // a mutation Apollo runs (the door runs most) records the viewer's write for read routing
      {
        async requestDidStart() {
          return {
            async willSendResponse({ operation, contextValue: ctx }) {
              if (operation?.operation === 'mutation' && ctx.auth.viewer && deps.router) await noteWrite(deps, ctx.auth.viewer.userId, ctx.requestId);
            },
          };
        },
      },
      observabilityPlugin(),
      limitsPlugin(config.graphql),
      ...(deps.cache ? [responseCachePlugin(deps.cache, schema)] : []),
      config.http.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: true })
        : config.isProduction
          ? ApolloServerPluginLandingPageDisabled()
          : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });
  await apollo.start();

  let draining = false;
  // While draining: every answer closes its connection; and a request that arrives on a
  // connection the drain has already ended (its answer could never be delivered) is dropped
  // unprocessed, so a client's error never hides a change that was made.
  app.use((req, res, next) => {
    if (draining) {
      if (req.socket.writableEnded || req.socket.destroyed) {
        req.socket.destroy();
        return;
      }
      res.setHeader('connection', 'close');
    }
    next();
  });

  app.use(countRequests());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    try {
      await Promise.all(readiness.map((check) => check()));
      res.json({ status: 'ready' });
    } catch (e) {
      res.status(503).json({ status: 'unavailable', reason: (e as Error).message });
    }
  });

  // served on the metrics listener (main.ts); here only with METRICS_TOKEN (404 without one)
  app.get('/metrics', publicMetrics(config.metrics));

  app.use('/webhooks/twilio', twilioWebhooks(deps));
  // CSV downloads of the directory (export.ts)
  app.use(EXPORT_PATH, exportRoutes(deps));
  // CSV uploads into the directory (import.ts): the body is streamed, never parsed by Express
  app.use(IMPORT_PATH, importRoutes(deps));
  // email: the one-click unsubscribe links, and bounces and complaints from the mail provider
  app.use('/email', emailLinks(deps));
  app.use('/webhooks/email', emailWebhooks(deps));
  // Bull Board for platform admins (queue-board.ts)
  app.use(QUEUE_BOARD_PATH, queueBoard(deps));
  // the reference single-page app (web/), built (development; WEB_APP)
  if (config.http.webApp) app.use(WEB_APP_PATH, webApp(path.join(packageDir(), 'web/dist')));

  // the caller's address as Express works it out (trust proxy): the lane's requests get Express's
  // prototype only if something asks (src/http/lane.ts)
  const clientIp = (req: express.Request): string => {
    if (Object.getPrototypeOf(req) !== app.request) Object.setPrototypeOf(req, app.request);
    return req.ip ?? req.socket.remoteAddress ?? 'unknown';
  };
  const door = cacheDoor(deps, schema, trusted, clientIp);
  const errors = requestErrors(deps.log);
  app.use(
    '/graphql',
    (req, res, next) => {
      // CORS: a preflight is answered here; the lane sets the headers of what it takes itself
      if (req.method === 'OPTIONS') return cors.preflight(req, res);
      if (!laned(res)) cors.headers(req, res);
      res.locals.arrived ??= process.hrtime.bigint(); // the cost budget's start (budget.ts)
      next();
    },
    express.json({ limit: BODY_LIMIT }),
    // a request the lane has already taken to the door comes here only on its way to Apollo
    (req, res, next) => (laned(res) ? next() : door(req, res, next)),
    expressMiddleware(apollo, {
      // the door authenticated, renewed the cookie and set the request id (cache-door.ts)
      context: async ({ req, res }) => {
        const door = doorOf(res);
        if (door.authFailure !== undefined) throw contextFailure(door.authFailure, deps.log, door.requestId);
        return createContext(deps, door.auth!, exchangeFor(req, res, auth_, door, clientIp), door.requestId, door.db);
      },
    }),
  );
  // a body that never became a request (not JSON, too large): GraphQL-shaped JSON, one log line
  app.use(errors);
  handler = graphqlLane(app, { limitBytes: BODY_LIMIT, draining: () => draining, door, errors, cors });
  return {
    app,
    httpServer,
    apollo,
    readiness,
    setDraining: () => {
      draining = true;
    },
  };
}
