import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/env.js';

/**
 * Which browser origins may open a WebSocket. The upgrade carries the session cookie
 * (SameSite=Lax sends it on a cross-site WebSocket), so without this check any page the user
 * visits could subscribe as them.
 * - CORS_ORIGINS, exact matches;
 * - outside production also the API's own origin (PUBLIC_URL, and localhost / 127.0.0.1 / [::1] on
 *   PORT): the sandbox page is served from there;
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
  try {
    return allowed.has(new URL(origin).origin);
  } catch {
    return false; // "null" (sandboxed frames, file://) and garbage
  }
}

/** ws's verifyClient: a disallowed Origin is refused before the upgrade with 403. */
export function originGuard(config: Config) {
  const allowed = allowedOrigins(config);
  return (info: { origin?: string; req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
    const origin = info.req.headers.origin;
    if (originAllowed(allowed, typeof origin === 'string' ? origin : undefined)) done(true);
    else done(false, 403, 'Forbidden: origin not allowed');
  };
}
