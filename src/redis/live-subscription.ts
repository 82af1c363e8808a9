import { Redis } from 'ioredis';

export interface LiveSubscriptionOptions {
  url: string;
  channel: string;
  /** how long the heartbeat PING may take before the subscription stops counting as live */
  timeoutMs: number;
  /** every message on the channel, as published */
  onMessage(text: string): void;
  /**
   * The subscription became live (true: from now on no message can pass it by, so whatever was
   * kept before it may have missed some and must go) or stopped being live (false: the connection
   * closed, or a heartbeat failed or was late; nothing kept may be used until it is live again).
   */
  onLive(live: boolean): void;
}

/** How often the heartbeat PING goes out. */
export const HEARTBEAT_MS = 1000;

/**
 * A Redis subscription that says whether it can be relied on: what an in-process tier (the
 * response cache's memory, the session tier) needs before it answers from memory what another
 * process may have changed. Live once the SUBSCRIBE is acknowledged; not live when the connection
 * closes or ends, and not live while the server is hung (a hung Redis keeps its connections open,
 * so only an answer proves the channel still works: a PING on this connection must answer within
 * `timeoutMs` every second, and the first answer after a failure makes it live again, since every
 * message published before that PING's answer has arrived before it). `suspend` is for the owner's
 * own evidence that Redis is failing (a command on another connection timed out): not live until
 * the next heartbeat answers.
 */
export class LiveSubscription {
  private readonly sub: Redis;
  private readonly heartbeat: NodeJS.Timeout;
  private subscribed = false;
  private isLive = false;

  constructor(private readonly o: LiveSubscriptionOptions) {
    const sub = new Redis(o.url, { maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: (times) => Math.min(times * 200, 2000) });
    this.sub = sub;
    sub.on('error', () => {});
    const closed = () => {
      this.subscribed = false;
      this.set(false);
    };
    sub.on('close', closed);
    sub.on('end', closed);
    sub.on('message', (_channel: string, text: string) => o.onMessage(text));
    sub.on('ready', () => {
      sub.subscribe(o.channel).then(
        () => {
          this.subscribed = true;
          this.set(true);
        },
        () => this.set(false),
      );
    });
    this.heartbeat = setInterval(() => {
      if (!this.subscribed) return;
      const timer = setTimeout(() => this.set(false), o.timeoutMs);
      sub.ping().then(
        () => {
          clearTimeout(timer);
          if (this.subscribed) this.set(true);
        },
        () => {
          clearTimeout(timer);
          this.set(false);
        },
      );
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get live(): boolean {
    return this.isLive;
  }

  /** Not live until the next heartbeat answers. */
  suspend(): void {
    this.set(false);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.subscribed = false;
    this.set(false);
    this.sub.disconnect();
  }

  private set(live: boolean): void {
    if (live === this.isLive) return;
    this.isLive = live;
    this.o.onLive(live);
  }
}
