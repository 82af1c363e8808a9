import { serialize } from 'cookie';
import type { ServerResponse } from 'node:http';
import type { Config } from '../config/env.js';
import type { AuthState } from '../modules/viewer.js';

/**
 * Sets, renews or clears a cookie so the answer carries one Set-Cookie for that name: the last
 * decision wins. (The door renews the session cookie on every request; login, logout and
 * changePassword then set or clear it again, which res.cookie would append as a second header.)
 */
export function soleCookie(res: ServerResponse, name: string, cookie: string): void {
  const prev = res.getHeader('set-cookie');
  if (prev === undefined) {
    res.setHeader('set-cookie', cookie);
    return;
  }
  const list = (Array.isArray(prev) ? prev : [String(prev)]).filter((c) => !c.startsWith(`${name}=`));
  list.push(cookie);
  res.setHeader('set-cookie', list.length === 1 ? list[0]! : list);
}

type AuthConfig = Config['auth'];

const options = (auth: AuthConfig) => ({ httpOnly: true, sameSite: 'lax' as const, secure: auth.cookieSecure, path: '/' });

/** The Expires attribute's date, made once a second (what Express's res.cookie writes). */
let expiresAt = 0;
let expiresText = '';
function expires(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s !== expiresAt) {
    expiresAt = s;
    expiresText = new Date(ms).toUTCString();
  }
  return expiresText;
}

/**
 * The session cookie as Express's res.cookie spells it (`cookie.serialize`: Max-Age, Path,
 * Expires, HttpOnly, Secure, SameSite), made without it: every signed-in answer renews one.
 * A session id is base64url, which needs no encoding; anything else goes through `cookie`.
 */
export function sessionCookie(auth: AuthConfig, id: string, now = Date.now()): string {
  if (!/^[\w-]*$/.test(id) || !/^[\w!#$%&'*+.^`|~-]+$/.test(auth.cookieName)) {
    return serialize(auth.cookieName, id, { ...options(auth), maxAge: auth.sessionTtlS, expires: new Date(now + auth.sessionTtlS * 1000) });
  }
  return `${auth.cookieName}=${id}; Max-Age=${auth.sessionTtlS}; Path=/; Expires=${expires(now + auth.sessionTtlS * 1000)}; HttpOnly${auth.cookieSecure ? '; Secure' : ''}; SameSite=Lax`;
}

/** The session cookie for this session id, with the session's lifetime. */
export function setSessionCookie(res: ServerResponse, auth: AuthConfig, id: string): void {
  soleCookie(res, auth.cookieName, sessionCookie(auth, id));
}

export function clearSessionCookie(res: ServerResponse, auth: AuthConfig): void {
  soleCookie(res, auth.cookieName, serialize(auth.cookieName, '', { ...options(auth), expires: new Date(1) }));
}

/**
 * Sliding lifetime: a used session's cookie is renewed along with its Redis expiry; a cookie that
 * names no live session is cleared (unless the caller authenticated with a bearer token, whose
 * failure says nothing about the cookie).
 */
export function renewSessionCookie(res: ServerResponse, auth: AuthConfig, state: AuthState, bearer: boolean): void {
  if (state.viewer?.via === 'session' && state.viewer.sessionId) setSessionCookie(res, auth, state.viewer.sessionId);
  else if (state.authError && !bearer) clearSessionCookie(res, auth);
}
