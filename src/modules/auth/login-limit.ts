import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../../lib/errors.js';

export interface LoginLimits {
  maxFailures: number;
  ipMaxAttempts: number;
  windowS: number;
}

/**
 * Fixed-window counters in Redis (shared by all processes): attempts per email+IP and per IP.
 * An attempt is counted BEFORE the password is checked, so parallel attempts (many aliases in one
 * request, many connections) cannot slip past; a successful login clears its email+IP counter.
 */
export class LoginLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly limits: LoginLimits,
  ) {}

  private keys(email: string, ip: string) {
    const e = createHash('sha256').update(email).digest('hex').slice(0, 32);
    return { pair: `rl:login:${e}:${ip}`, ip: `rl:login-ip:${ip}` };
  }

  async attempt(email: string, ip: string): Promise<void> {
    const k = this.keys(email, ip);
    const ms = this.limits.windowS * 1000;
    const res = await this.redis
      .multi()
      .incr(k.pair)
      .pexpire(k.pair, ms, 'NX')
      .incr(k.ip)
      .pexpire(k.ip, ms, 'NX')
      .pttl(k.pair)
      .pttl(k.ip)
      .exec();
    const [pairCount, , ipCount, , pairTtl, ipTtl] = (res ?? []).map(([, v]) => Number(v));
    const overPair = (pairCount ?? 0) > this.limits.maxFailures;
    const overIp = (ipCount ?? 0) > this.limits.ipMaxAttempts;
    if (overPair || overIp) {
      const ttl = Math.max(overPair ? (pairTtl ?? ms) : 0, overIp ? (ipTtl ?? ms) : 0);
      const retryAfterSeconds = Math.max(1, Math.ceil(ttl / 1000));
      throw new AppError('RATE_LIMITED', `Too many sign-in attempts; try again in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
        field: 'email',
      });
    }
  }

  async succeeded(email: string, ip: string): Promise<void> {
    await this.redis.del(this.keys(email, ip).pair);
  }
}
