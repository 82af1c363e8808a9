import type { DeliveryCounts } from '../modules/message/recipient.queries.js';

/**
 * Realtime topics shared by the API (subscribers) and the worker/webhooks (publishers), carried
 * over Redis pub/sub so every API process sees every event.
 *
 * Pub/sub channels are global to a Redis server: neither the db number in REDIS_URL nor ioredis'
 * keyPrefix separates them. Every channel therefore starts with the deployment's REDIS_KEY_PREFIX
 * and the db number, so two deployments that keep their keys apart (another prefix or another db)
 * keep their events apart too.
 */
export function channelPrefix(keyPrefix: string, redisUrl: string): string {
  const db = Number(new URL(redisUrl).pathname.replace(/^\//, '') || 0);
  return `${keyPrefix}db${Number.isInteger(db) ? db : 0}:`;
}

export const progressTopic = (channels: string, messageId: number) => `${channels}message-progress:${messageId}`;

/** "What this user may do changed" (sessions ended, token revoked, role changed): open sockets recheck. */
export const authzTopic = (channels: string) => `${channels}authz-changed`;

export interface AuthzChangedEvent {
  userId: number;
}

export interface MessageProgressEvent {
  messageId: number;
  churchId: number;
  status: string;
  counts: DeliveryCounts;
  /** nothing left queued or sending */
  done: boolean;
  at: string;
}

/** A church's inbox (src/modules/conversation): new inbound texts and conversation changes. */
export const inboxTopic = (channels: string, churchId: number) => `${channels}inbox:${churchId}`;

export interface InboxEvent {
  churchId: number;
  conversationId: number;
  /** 'message': a text came in (conversationMessageId); 'conversation': its state, unread count, assignee or activity changed */
  kind: 'message' | 'conversation';
  conversationMessageId?: number;
}
