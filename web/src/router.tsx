import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** The app's base path (vite.config.ts `base`): every route lives under it. */
const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

export type Route =
  | { name: 'directory' }
  | { name: 'member'; id: string }
  | { name: 'compose' }
  | { name: 'message'; id: string }
  | { name: 'queue' }
  | { name: 'notFound' };

export function parse(pathname: string): Route {
  const p = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = p.split('/').filter(Boolean);
  if (parts.length === 0) return { name: 'directory' };
  if (parts[0] === 'members' && parts[1]) return { name: 'member', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'compose' && parts.length === 1) return { name: 'compose' };
  if (parts[0] === 'messages' && parts[1]) return { name: 'message', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'queue' && parts.length === 1) return { name: 'queue' };
  return { name: 'notFound' };
}

export const href = (path: string) => `${BASE}${path}`;

export function navigate(path: string): void {
  window.history.pushState(null, '', href(path));
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.pathname));
  useEffect(() => {
    const on = () => setRoute(parse(window.location.pathname));
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return route;
}

/** A link inside the app: a real href (open in a new tab works), navigation without a reload. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={href(to)} onClick={onClick} {...rest} />;
}
