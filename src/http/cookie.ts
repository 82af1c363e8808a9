import type { Response } from 'express';
import type { Config } from '../config/env.js';
import type { AuthState } from '../modules/viewer.js';

/**
 * Sets, renews or clears a cookie so the answer carries one Set-Cookie for that name: the last
 * decision wins. (The door renews the session cookie on every request; login, logout and
 * changePassword then set or clear it again, which res.cookie would append as a second header.)
 */
export function soleCookie(res: Response, name: string, write: () => void): void {
  const prev = res.getHeader('set-cookie');
  if (prev !== undefined) {
    const list = (Array.isArray(prev) ? prev : [String(prev)]).filter((c) => !c.startsWith(`${name}=`));
    if (list.length) res.setHeader('set-cookie', list);
    else res.removeHeader('set-cookie');
  }
  write();
}

type AuthConfig = Config['auth'];

const options = (auth: AuthConfig) => ({ httpOnly: true, sameSite: 'lax' as const, secure: auth.cookieSecure, path: '/' });

/** The session cookie for this session id, with the session's lifetime. */
export function setSessionCookie(res: Response, auth: AuthConfig, id: string): void {
  soleCookie(res, auth.cookieName, () => res.cookie(auth.cookieName, id, { ...options(auth), maxAge: auth.sessionTtlS * 1000 }));
}

export function clearSessionCookie(res: Response, auth: AuthConfig): void {
  soleCookie(res, auth.cookieName, () => res.clearCookie(auth.cookieName, options(auth)));
}

/**
 * Sliding lifetime: a used session's cookie is renewed along with its Redis expiry; a cookie that
 * names no live session is cleared (unless the caller authenticated with a bearer token, whose
 * failure says nothing about the cookie).
 */
export function renewSessionCookie(res: Response, auth: AuthConfig, state: AuthState, bearer: boolean): void {
  if (state.viewer?.via === 'session' && state.viewer.sessionId) setSessionCookie(res, auth, state.viewer.sessionId);
  else if (state.authError && !bearer) clearSessionCookie(res, auth);
}
