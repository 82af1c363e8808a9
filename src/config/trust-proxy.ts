import { isIP } from 'node:net';

/**
 * TRUST_PROXY → the value express's 'trust proxy' setting expects. Express takes a string
 * literally as an address list, so "1" would mean the address 0.0.0.1 and "true" is rejected as
 * an invalid IP; the forms are told apart here, once, at start.
 *   true | false          trust every proxy / none (the socket address is the client)
 *   N (0-32)              trust N hops from the socket inward (X-Forwarded-For's last N entries)
 *   a, b, …               trusted proxies: loopback, linklocal, uniquelocal, IPs and CIDRs
 */
export type TrustProxy = boolean | number | string[];

const NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 32;

function entryProblem(entry: string): string | null {
  if (NAMES.has(entry)) return null;
  const slash = entry.indexOf('/');
  const ip = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return `"${entry}" is not loopback, linklocal, uniquelocal, an IP address or a CIDR`;
  if (slash === -1) return null;
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `"${entry}": the prefix length must be 0-${max}`;
  return null;
}

/** Every problem with the value (empty when it is valid). */
export function trustProxyProblems(raw: string): string[] {
  const v = raw.trim();
  if (v === 'true' || v === 'false') return [];
  if (/^\d+$/.test(v)) return Number(v) <= MAX_HOPS ? [] : [`a hop count must be 0-${MAX_HOPS}, got ${v}`];
  const entries = v.split(',').map((s) => s.trim());
  if (entries.some((e) => e === '')) return ['must be true, false, a hop count, or a comma-separated list without empty entries'];
  return entries.map(entryProblem).filter((p): p is string => p !== null);
}

/** The express value; call only on a value without problems. */
export function parseTrustProxy(raw: string): TrustProxy {
  const v = raw.trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((s) => s.trim());
}
