import type { Response } from 'express';

/**
 * Sets, renews or clears a cookie so the answer carries one Set-Cookie for that name: the last
 * decision wins. (The context renews the session cookie on every request; login, logout and
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
