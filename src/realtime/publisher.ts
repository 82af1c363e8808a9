import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { progressTopic, type MessageProgressEvent } from './topics.js';

/** The events for messages that changed (src/modules/message/progress.ts settleProgress). */
export type ProgressSource = (messageIds: number[]) => Promise<MessageProgressEvent[]>;

/**
 * Coalesces "this message changed" signals: at most one call of the source and one publish per
 * message every `intervalMs`, however many recipients change (10,000 texts make a handful of
 * events). It only publishes: what an event says (and the message status it settles) is the
 * message module's.
 */
export class ProgressPublisher {
  private dirty = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** called after each flush with the messages whose counts changed (cache invalidation hooks here) */
  onFlush: Array<(events: MessageProgressEvent[]) => void | Promise<void>> = [];

  constructor(
    private readonly source: ProgressSource,
    private readonly redis: Redis,
    /** channelPrefix(REDIS_KEY_PREFIX, REDIS_URL): the worker and every API process must agree */
    readonly channels: string,
    private readonly log: Logger,
    private readonly intervalMs = 200,
  ) {}

  /** The channel a message's progress is published on (subscribers listen here). */
  topic(messageId: number): string {
    return progressTopic(this.channels, messageId);
  }

  touch(messageId: number): void {
    this.dirty.add(messageId);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, this.intervalMs);
  }

  async flush(): Promise<void> {
    if (!this.dirty.size) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      const events = await this.source(ids);
      await Promise.all(events.map((e) => this.redis.publish(this.topic(e.messageId), JSON.stringify(e))));
      for (const hook of this.onFlush) await hook(events);
    } catch (e) {
      // progress is advisory: the rows are already right; the next change publishes again
      this.log.warn({ err: (e as Error).message }, 'could not publish message progress');
    }
  }

  /** Publishes what is pending now (shutdown). */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }
}
