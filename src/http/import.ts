import express, { type Request, type Response } from 'express';
import type { AppDeps } from '../graphql/context.js';
import { authenticate } from '../modules/auth/authenticate.js';
import { createScope } from '../modules/scope.js';
import { importMembersCsv, ImportTooLargeError } from '../modules/csv/import.service.js';
import { httpStatusOf } from './request-errors.js';
import { AppError, findAppError } from '../lib/errors.js';
import { allowedOrigins, originAllowed } from './origin.js';
import { noteWrite } from './cache-door.js';

export const IMPORT_PATH = '/import';


/** A CSV body. Not a CORS-safelisted type, so a foreign page cannot send it without a preflight (CSRF). */
const CSV = /^(text|application)\/csv\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

const param = (req: Request, name: string): string | undefined => {
  const v = req.query[name];
  return typeof v === 'string' && v.length <= 16_384 ? v : undefined;
};

/** X-Import-Mapping carries the JSON URL-encoded (header values are ASCII; CSV headers may not be). */
function decodeHeader(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function fail(res: Response, status: number, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  // the client may still be sending a body nobody will read: end the connection with the answer
  res.setHeader('connection', 'close');
  res.status(status).json({ errors: [{ message, extensions: { code, ...extensions } }] });
}

/**
 * POST /import/members.csv?churchId=…&dryRun=true|false&onDuplicate=skip|create|error&mapping=<JSON>:
 * a spreadsheet of people into a church (src/modules/csv/import.service.ts). Signed in like /graphql
 * (the session cookie, or `Authorization: Bearer stp_…`), STAFF and up, as importMembers. CSRF: the
 * body must be `Content-Type: text/csv` (415 otherwise), which no cross-site form or simple request
 * can send, and a browser Origin must be one the API allows (403 otherwise). The mapping may also
 * come as the `X-Import-Mapping` header, URL-encoded (long mappings). Answers the report as JSON: 200 for a dry
 * run or an import, 422 when an import was refused (invalid rows, or duplicates with
 * onDuplicate=error) and nothing was written; errors before the report are GraphQL-shaped JSON.
 */
export function importRoutes(deps: AppDeps): express.Router {
  const router = express.Router();
  const origins = allowedOrigins(deps.config);
  router.post('/members.csv', async (req: Request, res: Response) => {
    const { config } = deps;
    res.setHeader('cache-control', 'no-store');
    const origin = req.headers.origin;
    if (!originAllowed(origins, typeof origin === 'string' ? origin : undefined)) return fail(res, 403, 'FORBIDDEN', 'This origin may not import');
    if (!CSV.test(req.headers['content-type'] ?? '')) {
      return fail(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the file as the body with Content-Type: text/csv (UTF-8)');
    }
    const length = Number(req.headers['content-length']);
    if (length > config.import.maxBytes) {
      return fail(res, 413, 'PAYLOAD_TOO_LARGE', `the file is larger than ${config.import.maxBytes} bytes`, { field: 'file', limit: 'bytes', max: config.import.maxBytes });
    }
    try {
      const auth = await authenticate(
        { cookieHeader: req.headers.cookie, authorization: req.headers.authorization },
        { db: deps.db, sessions: deps.sessions, cookieName: config.auth.cookieName, log: deps.log },
      );
      const scope = createScope(deps, auth, req.ip ?? '', { route: 'import' });
      const header = req.headers['x-import-mapping'];
      const report = await importMembersCsv(scope, {
        churchId: param(req, 'churchId'),
        dryRun: param(req, 'dryRun'),
        onDuplicate: param(req, 'onDuplicate'),
        mapping: param(req, 'mapping') ?? (typeof header === 'string' ? decodeHeader(header) : undefined),
        body: req,
      });
      // the viewer's next reads go to the primary for a while (read-your-writes), as after a mutation
      if (report.applied && auth.viewer) await noteWrite(deps, auth.viewer.userId, String(req.headers['x-request-id'] ?? ''));
      const refused = !report.dryRun && !report.applied;
      res.status(refused ? 422 : 200).json(report);
    } catch (e) {
      const app = findAppError(e) ?? (e instanceof AppError ? e : null);
      // the client went away mid-upload: nobody to answer, nothing written
      const code = (e as { code?: string }).code;
      if (!app && (res.destroyed || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET')) {
        deps.log.info({ err: e }, 'csv import abandoned by the client');
        res.destroy();
        return;
      }
      if (app instanceof ImportTooLargeError) return fail(res, 413, 'PAYLOAD_TOO_LARGE', app.message, app.extensions);
      if (!app) deps.log.error({ err: e }, 'csv import failed');
      fail(res, app ? (httpStatusOf[app.code] ?? 400) : 500, app?.code ?? 'INTERNAL_SERVER_ERROR', app ? app.message : 'Internal server error', app?.extensions ?? {});
    }
  });
  return router;
}
