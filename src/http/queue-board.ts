import express, { type Request, type RequestHandler } from 'express';
import type { AppDeps } from '../graphql/context.js';
import { authenticate } from '../modules/auth/authenticate.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a state-changing request comes from this server's own pages: the browser's
 * Sec-Fetch-Site says same-origin, or its Origin is the request's own (scheme and host as the
 * client sent them, or PUBLIC_URL's). The session cookie is SameSite=Lax too, so a cross-site
 * form or fetch carries no session; this closes the rest (a sibling subdomain, an old browser).
 */
function sameOrigin(req: Request, publicUrl: string): boolean {
  const site = req.get('sec-fetch-site');
  if (site) return site === 'same-origin';
  const origin = req.get('origin');
  if (!origin) return false;
  const own = new Set([new URL(publicUrl).origin, `${req.protocol}://${req.get('host')}`]);
  return own.has(origin);
}

/**
 * Bull Board at /admin/queues: the SMS queue's jobs (waiting, active, delayed, failed), with retry,
 * promote and clean, for platform admins signed in with their session (or an API token). Anyone
 * else gets 401 or 403 before the board is reached; a state-changing request must come from the
 * board's own page (sameOrigin). Bull Board (its UI, its adapters) is loaded on the first request a
 * platform admin makes, not at start: every API process would otherwise hold it (a few MB of heap
 * and code) for a page few people open.
 */
export function queueBoard(deps: AppDeps): RequestHandler {
  let loading: Promise<RequestHandler> | undefined;
  const load = async (): Promise<RequestHandler> => {
    const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/express'),
    ]);
    const server = new ExpressAdapter();
    server.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: [
        new BullMQAdapter(deps.smsQueue, {
          // a failed text is retried through retryFailedJobs (it reopens the recipient's row first);
          // a job retried here would find its row failed and do nothing
          allowRetries: false,
          description: 'One job per text. Retry failed texts with the retryFailedJobs mutation; a job lost here is re-added from the outbox by the sweeper.',
        }),
      ],
      serverAdapter: server,
      options: { uiConfig: { boardTitle: 'Steeple queues' } },
    });
    return server.getRouter() as RequestHandler;
  };
  const router = express.Router();
  router.use(async (req, res, next) => {
    let auth;
    try {
      auth = await authenticate(
        { cookieHeader: req.headers.cookie, authorization: req.headers.authorization },
        { db: deps.db, sessions: deps.sessions, cookieName: deps.config.auth.cookieName, log: deps.log },
      );
    } catch (e) {
      deps.log.warn({ err: (e as Error).message }, 'queue board: could not authenticate');
      res.status(503).set('retry-after', '1').type('text/plain').send('Sign-in is unavailable right now; retry shortly.\n');
      return;
    }
    res.set('cache-control', 'no-store');
    if (!auth.viewer) {
      res.status(401).type('text/plain').send(`${auth.authError ?? 'Sign in'} as a platform admin (the sandbox's login mutation sets the session cookie), then reload.\n`);
      return;
    }
    if (!auth.viewer.platformAdmin) {
      res.status(403).type('text/plain').send('The queue board is for platform admins.\n');
      return;
    }
    if (!SAFE.has(req.method) && !sameOrigin(req, deps.config.publicUrl)) {
      res.status(403).type('text/plain').send('Cross-site request refused.\n');
      return;
    }
    let board: RequestHandler;
    try {
      board = await (loading ??= load());
    } catch (e) {
      loading = undefined;
      next(e);
      return;
    }
    board(req, res, next);
  });
  return router;
}
