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
 * - Every change to what a user may do is also announced on the authz channel (Redis pub/sub, so
 *   every API process hears it): open WebSockets of that user authenticate again at once.
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

/** Announces and hears "this user's authorization changed" (see realtime/topics.ts authzTopic). */
export interface AuthzBus {
  publish(userId: number): Promise<void>;
  subscribe(handler: (userId: number) => void): Promise<() => void>;
}

/**
 * Seams for tests that interleave a sign-in with a role change deterministically: each is awaited
 * at the point where the two sides could race. Unset in production.
 */
export interface AuthzSeams {
  /** a sign-in has read one of (authz version, roles + user) and not yet the other */
  betweenReads?: (userId: number) => Promise<void>;
  /** a change of roles/activation is written and its in-transaction bump done, not yet committed */
  beforeCommit?: (userIds: number[]) => Promise<void>;
}

const sessionKey = (id: string) => `sess:${createHash('sha256').update(id).digest('hex')}`;
const versionKey = (userId: number) => `authz-ver:${userId}`;

export class SessionStore {
  readonly seams: AuthzSeams = {};

  constructor(
    private readonly redis: Redis,
    private readonly ttlS: number,
    readonly bus: AuthzBus | null = null,
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
    return this.read(id, true);
  }

  /** Like touch, without extending the lifetime (an open socket rechecking is not a use). */
  async peek(id: string): Promise<SessionData | null> {
    return this.read(id, false);
  }

  private async read(id: string, slide: boolean): Promise<SessionData | null> {
    if (!/^[\w-]{43}$/.test(id)) return null;
    const key = sessionKey(id);
    const raw = slide ? await this.redis.getex(key, 'EX', this.ttlS) : await this.redis.get(key);
    if (!raw) return null;
    const data = JSON.parse(raw) as SessionData;
    const version = await this.redis.get(versionKey(data.userId));
    if (Number(version ?? 0) !== data.version) {
      await this.redis.del(key);
      return null;
    }
    return data;
  }

  /** Ends one session (logout, or the one a new sign-in replaces); its open sockets close. */
  async destroy(id: string, userId: number): Promise<void> {
    await this.redis.del(sessionKey(id));
    await this.changed(userId);
  }

  /** Ends every session of a user, on every API process, at once. */
  async revokeUser(userId: number): Promise<void> {
    await this.redis.incr(versionKey(userId));
    await this.changed(userId);
  }

  /** Tells every API process that this user's credentials or roles changed (tokens included). */
  async changed(userId: number): Promise<void> {
    await this.bus?.publish(userId);
  }
}
