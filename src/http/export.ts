import express, { type Request, type Response } from 'express';
import type { AppDeps } from '../graphql/context.js';
import { authenticate } from '../modules/auth/authenticate.js';
import { createScope } from '../modules/scope.js';
import { exportMembers } from '../modules/csv/export.service.js';
import { httpStatusOf } from './request-errors.js';
import { AppError } from '../lib/errors.js';

export const EXPORT_PATH = '/export';


/** Resolves when the response can take more (drain) or has gone (close); no listener is left behind. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const param = (req: Request, name: string): string | undefined => {
  const v = req.query[name];
  return typeof v === 'string' && v.length <= 8192 ? v : undefined;
};

/**
 * GET /export/members.csv?churchId=…&filter=<MemberFilter JSON> or ?smartListId=…: the directory as
 * CSV, streamed. Signed in like /graphql (the session cookie, or `Authorization: Bearer stp_…`);
 * STAFF and up. Each batch is written when the socket has taken the previous one (write() false:
 * wait for drain), so a slow client holds one batch of memory and no database connection.
 * Errors before the first byte answer JSON shaped like GraphQL's ({ errors: [{ message, extensions }] }).
 */
export function exportRoutes(deps: AppDeps): express.Router {
  const router = express.Router();
  router.get('/members.csv', async (req: Request, res: Response) => {
    const { config } = deps;
    let started = false;
    try {
      const auth = await authenticate(
        { cookieHeader: req.headers.cookie, authorization: req.headers.authorization },
        { db: deps.db, sessions: deps.sessions, cookieName: config.auth.cookieName, log: deps.log },
      );
      const scope = createScope(deps, auth, req.ip ?? '', { route: 'export' });
      const out = await exportMembers(scope, { churchId: param(req, 'churchId'), filter: param(req, 'filter'), smartListId: param(req, 'smartListId') });
      res.status(200);
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="${out.filename}"`);
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-content-type-options', 'nosniff');
      let closed = false;
      res.on('close', () => (closed = true));
      for await (const chunk of out.lines) {
        if (closed) break;
        started = true;
        if (!res.write(chunk)) await drained(res);
      }
      res.end();
    } catch (e) {
      if (started || res.headersSent) {
        deps.log.error({ err: e }, 'csv export failed part-way');
        res.destroy();
        return;
      }
      const app = e instanceof AppError ? e : null;
      if (!app) deps.log.error({ err: e }, 'csv export failed');
      res
        .status(app ? (httpStatusOf[app.code] ?? 400) : 500)
        .json({ errors: [{ message: app ? app.message : 'Internal server error', extensions: { code: app?.code ?? 'INTERNAL_SERVER_ERROR', ...(app?.extensions ?? {}) } }] });
    }
  });
  return router;
}
