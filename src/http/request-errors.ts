import type { ErrorRequestHandler, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../lib/logger.js';

const REQUEST_ID = /^[\w.:-]{1,100}$/;

/** The caller's X-Request-Id when it is sane, else a new one; echoed on the response. */
export function requestIdOf(req: Request, res: Response): string {
  const given = req.get('x-request-id');
  const id = given && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/**
 * The last error handler: what reaches it never got to GraphQL (a body that is not JSON, one over
 * the limit, a bad charset — body-parser's errors carry a 4xx status) or is a bug in a route.
 * Either way the answer is GraphQL-shaped JSON, never express's HTML page with its stack; a
 * client's mistake is one info line without a stack, a bug one error line with it.
 */
export function requestErrors(log: Logger): ErrorRequestHandler {
  return (err: { status?: unknown; statusCode?: unknown; type?: unknown; limit?: unknown; message?: string }, req, res, next) => {
    if (res.headersSent) return next(err);
    const requestId = requestIdOf(req, res);
    const given = Number(err?.status ?? err?.statusCode);
    const status = given >= 400 && given < 500 ? given : 500;
    if (status === 500) {
      log.error({ err, requestId, method: req.method, path: req.path }, 'internal error');
      res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
      return;
    }
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
    const message =
      status === 413
        ? `The request body is larger than the limit of ${String(err.limit)} bytes`
        : err.type === 'entity.parse.failed'
          ? 'The request body is not valid JSON'
          : (err.message ?? 'Bad request');
    log.info({ requestId, status, code, type: err.type, method: req.method, path: req.path }, 'bad request');
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
}

/** The HTTP status of an AppError code, for the plain-HTTP routes (CSV export and import). */
export const httpStatusOf: Readonly<Record<string, number>> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};
