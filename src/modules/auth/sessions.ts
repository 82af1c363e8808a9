import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChurchRole } from '../../db/schema/index.js';

/**
 * Sessions live in Redis, shared by every API process (no sticky sessions needed).
 * - The cookie holds a random 256-bit id; Redis holds it only hashed (a dump of Redis yields no
 *   usable cookie).
 * - Each session records the user's "authz version" at login. Ending all of a user's sessions
 *   (password/role change, deactivation) is one INCR of that version: a session whose version no
 *   longer matches is refused and deleted. If the version key were lost, every session of that user
 *   would fail closed.
 * - The lifetime slides: every use pushes the expiry out by the configured TTL (GETEX).
 */
export interface SessionData {
  userId: number;
  email: string;
  name: string;
  platformAdmin: boolean;
  roles: Array<[churchId: number, role: ChurchRole]>;
  version: number;
  createdAt: number;
}

const sessionKey = (id: string) => `sess:${createHash('sha256').update(id).digest('hex')}`;
const versionKey = (userId: number) => `authz-ver:${userId}`;

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlS: number,
  ) {}

  async currentVersion(userId: number): Promise<number> {
    return Number((await this.redis.get(versionKey(userId))) ?? 0);
  }

  async create(data: Omit<SessionData, 'createdAt'>): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const record: SessionData = { ...data, createdAt: Date.now() };
    await this.redis.set(sessionKey(id), JSON.stringify(record), 'EX', this.ttlS);
    return id;
  }

  /** The live session for a cookie value, its expiry pushed out; null if unknown, expired or revoked. */
  async touch(id: string): Promise<SessionData | null> {
    if (!/^[\w-]{43}$/.test(id)) return null;
    const key = sessionKey(id);
    const raw = await this.redis.getex(key, 'EX', this.ttlS);
    if (!raw) return null;
    const data = JSON.parse(raw) as SessionData;
    const version = await this.redis.get(versionKey(data.userId));
    if (Number(version ?? 0) !== data.version) {
      await this.redis.del(key);
      return null;
    }
    return data;
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(sessionKey(id));
  }

  /** Ends every session of a user, on every API process, at once. */
  async revokeUser(userId: number): Promise<void> {
    await this.redis.incr(versionKey(userId));
  }
}
