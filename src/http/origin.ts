import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/env.js';

/**
 * Which browser origins may call the API: over CORS (/graphql, both the lane and Express) and by
 * opening a WebSocket. One list for both, since both carry the session cookie (SameSite=Lax sends
 * it on a cross-site WebSocket; a credentialed CORS request carries it by design), so without the
 * check any page the user visits could act as them.
 * - CORS_ORIGINS, exact matches (unset: none in production, the dev app's origin in development);
 * - outside production also the API's own origin (PUBLIC_URL, and localhost / 127.0.0.1 / [::1] on
 *   PORT): the sandbox page and the built app (/app) are served from there;
 * - no Origin header: not a browser (scripts with a token, server-side clients): allowed, since
 *   no ambient cookie of a victim rides along.
 */
export function allowedOrigins(config: Config): Set<string> {
  const allowed = new Set(config.http.corsOrigins);
  if (!config.isProduction) {
    allowed.add(new URL(config.publicUrl).origin);
    for (const host of ['localhost', '127.0.0.1', '[::1]']) allowed.add(`http://${host}:${config.http.port}`);
  }
  return allowed;
}

export function originAllowed(allowed: Set<string>, origin: string | undefined): boolean {
  if (origin === undefined) return true;
  if (allowed.has(origin)) return true;
  try {
    return allowed.has(new URL(origin).origin);
  } catch {
    return false; // "null" (sandboxed frames, file://) and garbage
  }
}

/** ws's verifyClient: a disallowed Origin is refused before the upgrade with 403. */
export function originGuard(config: Config, allowed = allowedOrigins(config)) {
  return (info: { origin?: string; req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
    const origin = info.req.headers.origin;
    if (originAllowed(allowed, typeof origin === 'string' ? origin : undefined)) done(true);
    else done(false, 403, 'Forbidden: origin not allowed');
  };
}

/** What a cross-origin caller may send: Apollo's CSRF-prevention headers among them. */
const ALLOW_HEADERS = 'content-type, authorization, x-request-id, apollo-require-preflight, x-apollo-operation-name';
const ALLOW_METHODS = 'GET, POST';
/** what the app may read of an answer beyond the CORS-safelisted headers */
const EXPOSE_HEADERS = 'x-request-id, retry-after';

export interface Cors {
  /**
   * On every /graphql answer (the lane calls it, and Express's route): Vary: Origin, and for an
   * allowed Origin the credentialed CORS headers. No allocation: the values are constants and the
   * request's own Origin string (browsers send it serialized, so an exact match is the CORS rule).
   */
  headers(req: IncomingMessage, res: ServerResponse): void;
  /** A preflight (OPTIONS): 204 with the cached permission, or 403 for an origin not listed. */
  preflight(req: IncomingMessage, res: ServerResponse): void;
}

/** CORS for /graphql from the same list as the WebSocket check (allowedOrigins). */
export function corsFor(config: Config, allowed = allowedOrigins(config)): Cors {
  const maxAge = String(config.http.corsMaxAgeS);
  const allow = (res: ServerResponse, origin: string) => {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
  };
  return {
    headers(req, res) {
      res.setHeader('vary', 'Origin');
      const origin = req.headers.origin;
      if (origin !== undefined && allowed.has(origin)) {
        allow(res, origin);
        res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
      }
    },
    preflight(req, res) {
      const origin = req.headers.origin;
      res.setHeader('vary', 'Origin');
      if (origin !== undefined && !allowed.has(origin)) {
        res.statusCode = 403;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end('Forbidden: origin not allowed\n');
        return;
      }
      if (origin !== undefined) {
        allow(res, origin);
        res.setHeader('access-control-allow-methods', ALLOW_METHODS);
        res.setHeader('access-control-allow-headers', ALLOW_HEADERS);
        res.setHeader('access-control-max-age', maxAge);
      }
      res.setHeader('allow', 'GET, POST, OPTIONS');
      res.statusCode = 204;
      res.end();
    },
  };
}
