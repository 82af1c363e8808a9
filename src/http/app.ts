import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createContext, type AppDeps, type Context } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import { errorsPlugin } from '../graphql/plugins/errors.js';
import { getSchema } from '../graphql/schema.js';

export interface AppHandle {
  app: express.Express;
  httpServer: http.Server;
  apollo: ApolloServer<Context>;
  /** readiness checks beyond "the process is up"; each resolves or throws */
  readiness: Array<() => Promise<unknown>>;
}

const REQUEST_ID = /^[\w.:-]{1,100}$/;

/** Express app with /graphql, /healthz and /readyz on one http.Server (websockets will share it). */
export async function createApp(deps: AppDeps, readiness: AppHandle['readiness'] = []): Promise<AppHandle> {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const httpServer = http.createServer(app);
  // keep-alive longer than typical load balancer idle timeouts, so they close first
  httpServer.keepAliveTimeout = 65_000;

  const apollo = new ApolloServer<Context>({
    schema: await getSchema(),
    formatError: formatError(),
    includeStacktraceInErrorResponses: false,
    introspection: !config.isProduction,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT (drain, then close pool and Redis); Apollo must not race it
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      errorsPlugin(),
      config.http.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: true })
        : config.isProduction
          ? ApolloServerPluginLandingPageDisabled()
          : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await Promise.all(readiness.map((check) => check()));
      res.json({ status: 'ready' });
    } catch (e) {
      res.status(503).json({ status: 'unavailable', reason: (e as Error).message });
    }
  });

  app.use(
    '/graphql',
    express.json({ limit: '4mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const given = req.get('x-request-id');
        const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', requestId);
        return createContext(deps, requestId);
      },
    }),
  );
  return { app, httpServer, apollo, readiness };
}
