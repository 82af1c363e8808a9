import type { Logger } from '../../lib/logger.js';
import { LiveSubscription } from '../../redis/live-subscription.js';
import type { SessionData, SessionKeeper } from './sessions.js';

/** Sessions a process keeps (about 0.5 KB each): past this the oldest goes first. */
const MAX_ENTRIES = 4096;

interface Entry {
  data: SessionData;
  /** until when it may be answered without asking Redis (ms since the epoch) */
  until: number;
}

export interface SessionTierOptions {
  /** the sessions Redis (the one the authz announcements are published on) */
  url: string;
  /** the authz channel (realtime/topics.ts authzTopic): `{"userId":N}` for every change of a user */
  channel: string;
  /** how long a checked session is answered from memory before Redis is asked again (and the lifetime slid) */
  recheckMs: number;
  /** how long the heartbeat PING may take before the tier stops being used */
  timeoutMs: number;
  log: Logger;
}

/**
 * The in-process tier in front of the session store (SessionStore.read): a session Redis vouched
 * for is answered from memory for `recheckMs`, then asked again (which also slides its lifetime).
 * Every change to a user's sessions or roles is announced on the authz channel (a sign-out, a
 * revocation, a role change, a CLI's change: sessions.ts `changed`), and this tier drops that
 * user's sessions as the announcement arrives, in every process. It is used only while its own
 * subscription is live: while the sessions Redis is down, reconnecting, or hung (a heartbeat PING
 * must answer within `timeoutMs` every second) it is emptied and every request asks Redis, as
 * without it. A read whose answer crosses a drop is not kept (the generation count), so an answer
 * Redis gave before a revocation is never kept after it.
 */
export class SessionTier implements SessionKeeper {
  private readonly entries = new Map<string, Entry>();
  private readonly byUser = new Map<number, Set<string>>();
  private readonly sub: LiveSubscription;
  /** sessions answered from memory (ops and tests) */
  hits = 0;
  /** bumped by every drop: a read that began before one is not kept */
  generation = 0;
  readonly recheckMs: number;

  constructor(o: SessionTierOptions) {
    this.recheckMs = o.recheckMs;
    this.sub = new LiveSubscription({
      url: o.url,
      channel: o.channel,
      timeoutMs: o.timeoutMs,
      onMessage: (text) => {
        let userId: unknown;
        try {
          userId = (JSON.parse(text) as { userId?: unknown } | null)?.userId;
        } catch {
          userId = undefined;
        }
        if (typeof userId === 'number' && Number.isSafeInteger(userId)) this.dropUser(userId);
        else {
          o.log.warn({ channel: o.channel }, 'a malformed authz announcement: every kept session dropped');
          this.clear();
        }
      },
      // either way what was kept goes: it may have missed an announcement, or may miss the next
      onLive: () => this.clear(),
    });
  }

  /** whether the tier is answering (its subscription is live) */
  get live(): boolean {
    return this.sub.live;
  }

  /** The kept session for this id, while the tier is live and the session was checked recently. */
  get(id: string, now: number): SessionData | null {
    if (!this.live) return null;
    const e = this.entries.get(id);
    if (!e) return null;
    if (e.until <= now) {
      this.delete(id);
      return null;
    }
    this.hits++;
    return e.data;
  }

  /** Keeps what Redis just vouched for, unless a drop happened since the read began (`generation` then). */
  set(id: string, data: SessionData, generation: number, now: number): void {
    if (!this.live || generation !== this.generation) return;
    this.delete(id);
    if (this.entries.size >= MAX_ENTRIES) this.delete(this.entries.keys().next().value!);
    this.entries.set(id, { data, until: now + this.recheckMs });
    let ids = this.byUser.get(data.userId);
    if (!ids) this.byUser.set(data.userId, (ids = new Set()));
    ids.add(id);
  }

  /** This process's own change: dropped here at once (the announcement then reaches the others). */
  dropSession(id: string): void {
    this.generation++;
    this.delete(id);
  }

  dropUser(userId: number): void {
    this.generation++;
    const ids = this.byUser.get(userId);
    if (!ids) return;
    for (const id of [...ids]) this.delete(id);
    this.byUser.delete(userId);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.sub.close();
  }

  private clear(): void {
    this.generation++;
    this.entries.clear();
    this.byUser.clear();
  }

  private delete(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    const ids = this.byUser.get(e.data.userId);
    ids?.delete(id);
    if (ids && !ids.size) this.byUser.delete(e.data.userId);
  }
}
