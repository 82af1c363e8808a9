import { createHash } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { Db } from '../../db/client.js';
import type { Logger } from '../../lib/logger.js';
import { tokenPrincipal, touchToken } from './auth.queries.js';
import type { SessionData, SessionStore } from './sessions.js';
import { ROLE_RANK, type AuthState } from '../viewer.js';

export const TOKEN_PREFIX = 'stp_';
export const hashToken = (secret: string) => createHash('sha256').update(secret).digest('hex');

/**
 * A session's viewer, kept while its SessionData object is (the store returns the same object for
 * an unchanged session: sessions.ts), so a request builds no viewer of its own. Viewers are
 * never changed after they are made.
 */
const sessionViewers = new WeakMap<SessionData, AuthState>();

export interface AuthRequest {
  cookieHeader: string | undefined;
  authorization: string | undefined;
}

/**
 * Resolves the viewer once per request. A bearer token wins over a cookie. Credentials that were
 * sent but are not valid leave the request anonymous with a reason, so protected fields answer
 * UNAUTHENTICATED saying why.
 */
export async function authenticate(
  req: AuthRequest,
  deps: { db: Db; sessions: SessionStore; cookieName: string; log: Logger },
  /** false: check a session without extending its lifetime (an open socket rechecking) */
  opts: { slide?: boolean } = {},
): Promise<AuthState> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.authorization ?? '')?.[1];
  if (bearer) {
    if (!bearer.startsWith(TOKEN_PREFIX) || bearer.length > 200) return { viewer: null, authError: 'Invalid API token' };
    const p = await tokenPrincipal(deps.db, hashToken(bearer));
    if (!p) return { viewer: null, authError: 'Invalid, expired or revoked API token' };
    if (opts.slide !== false && (!p.token.lastUsedAt || Date.now() - p.token.lastUsedAt.getTime() > 60_000)) {
      touchToken(deps.db, p.token.id).catch((e) => deps.log.warn({ err: e }, 'could not record token use'));
    }
    if (p.token.kind === 'check_in') {
      // a door tablet: no roles at all, only its church's check-in fields; it works while its
      // maker is STAFF or higher there (a demotion or removal ends it)
      const role = p.roles.find(([c]) => c === p.token.churchId)?.[1];
      if (!role || ROLE_RANK[role] < ROLE_RANK.staff) return { viewer: null, authError: 'This check-in token’s owner no longer has STAFF access to its church' };
      return {
        viewer: {
          userId: p.user.id,
          email: p.user.email,
          name: p.user.name,
          platformAdmin: false,
          roles: new Map(),
          via: 'token',
          tokenId: p.token.id,
          checkInChurchId: p.token.churchId!,
        },
      };
    }
    return {
      viewer: {
        userId: p.user.id,
        email: p.user.email,
        name: p.user.name,
        platformAdmin: p.user.isPlatformAdmin,
        roles: new Map(p.roles),
        via: 'token',
        tokenId: p.token.id,
      },
    };
  }
  const sid = req.cookieHeader ? parseCookies(req.cookieHeader)[deps.cookieName] : undefined;
  if (!sid) return { viewer: null };
  const s = opts.slide === false ? await deps.sessions.peek(sid) : await deps.sessions.touch(sid);
  if (!s) return { viewer: null, authError: 'Your session has ended; sign in again' };
  let state = sessionViewers.get(s);
  if (state?.viewer?.sessionId !== sid) {
    state = {
      viewer: {
        userId: s.userId,
        email: s.email,
        name: s.name,
        platformAdmin: s.platformAdmin,
        roles: new Map(s.roles),
        via: 'session',
        sessionId: sid,
      },
    };
    sessionViewers.set(s, state);
  }
  return state;
}
