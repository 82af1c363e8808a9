import { ReplyError } from 'ioredis';

// What ioredis rejects a command with when Redis cannot answer (down, hung, restarting), as
// opposed to a reply that says the command itself was wrong (WRONGTYPE and the like: a bug).
const CONNECTION = /Command timed out|Stream isn't writeable|Connection is closed|max retries per request|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTCONN/i;
const BUSY_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;

/** True when an error (or one in its cause chain) says Redis was unreachable or too slow. */
export function isRedisUnavailable(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown; originalError?: unknown }).cause ?? (cur as { originalError?: unknown }).originalError, depth++) {
    if (!(cur instanceof Error)) return false;
    if (cur instanceof ReplyError) return BUSY_REPLY.test(cur.message);
    if (cur.name === 'MaxRetriesPerRequestError' || CONNECTION.test(cur.message)) return true;
  }
  return false;
}
