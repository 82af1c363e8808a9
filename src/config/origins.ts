/**
 * CORS_ORIGINS: comma-separated exact origins (scheme://host[:port]) that browsers may call the
 * API from, WebSocket upgrades included. No wildcards: a socket carries the user's cookie.
 */
export function originProblems(raw: string): string[] {
  const problems: string[] = [];
  for (const item of splitOrigins(raw)) {
    let url: URL | null;
    try {
      url = new URL(item);
    } catch {
      url = null;
    }
    // scheme, host and port only; case and a trailing slash are normalised away (parseOrigins)
    const bare = url && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password && !/[?#]/.test(item);
    if (!url || !/^https?:$/.test(url.protocol) || !bare || !/^https?:\/\/[^/]+\/?$/i.test(item)) {
      problems.push(`"${item}" is not an origin like https://app.example.org (scheme, host and port only)`);
    }
  }
  return problems;
}

function splitOrigins(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The parsed list, each as URL.origin spells it (lower-case host, default port dropped). */
export function parseOrigins(raw: string): string[] {
  return [...new Set(splitOrigins(raw).map((o) => new URL(o).origin))];
}
