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
 * - The lifetime slides: every use pushes the expiry out by the configured TTL (GETEX); with the
 *   in-process tier (session-tier.ts) every check of Redis does, at least every SESSION_CACHE_MS of use.
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

/** The in-process tier in front of Redis (session-tier.ts SessionTier). */
export interface SessionKeeper {
  /** bumped by every drop: a read that began before one is not kept */
  readonly generation: number;
  get(id: string, now: number): SessionData | null;
  set(id: string, data: SessionData, generation: number, now: number): void;
  dropSession(id: string): void;
  dropUser(userId: number): void;
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

/**
 * KEYS[1] the session; ARGV[1] the TTL to slide to (0: do not slide); ARGV[2] the version keys'
 * full prefix. Returns the session's JSON, or false when it is missing or its version is stale
 * (then deleted). The version key is named from the session's content, so it cannot be declared
 * in KEYS: fine on one Redis server, which is what sessions live on.
 */
const READ_SESSION = `
local raw
if ARGV[1] ~= '0' then raw = redis.call('GETEX', KEYS[1], 'EX', ARGV[1]) else raw = redis.call('GET', KEYS[1]) end
if not raw then return false end
local ok, d = pcall(cjson.decode, raw)
if not ok or type(d) ~= 'table' then return false end
local v = redis.call('GET', ARGV[2] .. string.format('%d', d.userId)) or '0'
if tonumber(v) ~= tonumber(d.version) then
  redis.call('DEL', KEYS[1])
  return false
end
return raw
`;

const sessionKey = (id: string) => `sess:${createHash('sha256').update(id).digest('hex')}`;

/** Live sessions whose parse is kept (see SessionStore.read): about 0.5 KB each. */
const PARSED_MAX = 4096;

/** One live session id's Redis key, and the last text Redis returned for it, parsed. */
interface Parsed {
  key: string;
  raw: string;
  data: SessionData;
}
const versionKey = (userId: number) => `authz-ver:${userId}`;

export class SessionStore {
  readonly seams: AuthzSeams = {};

  /** READ_SESSION by its SHA (EVALSHA; ioredis loads it again after a Redis restart) */
  private readonly readSession: (key: string, ttlS: number, versionPrefix: string) => Promise<unknown>;
  /** by session id, oldest first (live sessions only: an unknown id is never kept) */
  private readonly parsed = new Map<string, Parsed>();

  constructor(
    private readonly redis: Redis,
    private readonly ttlS: number,
    readonly bus: AuthzBus | null = null,
    /** sessions Redis vouched for, answered from memory for a while and dropped on every announcement */
    readonly tier: SessionKeeper | null = null,
  ) {
    redis.defineCommand('steepleReadSession', { numberOfKeys: 1, lua: READ_SESSION });
    const command = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>).steepleReadSession!;
    this.readSession = (key, ttlS, versionPrefix) => command.call(redis, key, ttlS, versionPrefix);
  }

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
    // one round trip: the session (its expiry pushed out) and its user's authz version, compared
    // in Redis; a stale session is deleted there and then
    // Without the tier, Redis is asked every time; with it, a session is answered from memory
    // until its recheck or an announcement drops it. The hash of the id and the parse of an
    // unchanged text are kept, and the same SessionData object is returned for it (callers never
    // change it), so what is derived from it can be kept too (authenticate.ts)
    // a socket's recheck (not slid) always asks Redis: it runs as an announcement arrives, maybe
    // before this process's tier has heard the same one
    const tier = slide ? this.tier : null;
    if (tier) {
      const kept = tier.get(id, Date.now());
      if (kept) return kept;
    }
    const generation = tier?.generation ?? 0;
    const known = this.parsed.get(id);
    const key = known?.key ?? sessionKey(id);
    const raw = await this.readSession(key, slide ? this.ttlS : 0, `${this.redis.options.keyPrefix ?? ''}authz-ver:`);
    if (typeof raw !== 'string') {
      this.parsed.delete(id);
      return null;
    }
    let data: SessionData;
    if (known?.raw === raw) data = known.data;
    else {
      data = JSON.parse(raw) as SessionData;
      if (known) {
        known.raw = raw;
        known.data = data;
      } else {
        if (this.parsed.size >= PARSED_MAX) this.parsed.delete(this.parsed.keys().next().value!);
        this.parsed.set(id, { key, raw, data });
      }
    }
    tier?.set(id, data, generation, Date.now());
    return data;
  }

  /** Ends one session (logout, or the one a new sign-in replaces); its open sockets close. */
  async destroy(id: string, userId: number): Promise<void> {
    this.parsed.delete(id);
    this.tier?.dropSession(id);
    await this.redis.del(sessionKey(id));
    // (changed drops the user's kept sessions again: one read between the two drops is not kept)
    await this.changed(userId);
  }

  /** Ends every session of a user, on every API process, at once. */
  async revokeUser(userId: number): Promise<void> {
    await this.redis.incr(versionKey(userId));
    await this.changed(userId);
  }

  /**
   * Tells every API process that this user's credentials or roles changed (tokens included): each
   * drops the user's sessions from its tier as the announcement arrives; this one at once.
   */
  async changed(userId: number): Promise<void> {
    this.tier?.dropUser(userId);
    await this.bus?.publish(userId);
  }
}
