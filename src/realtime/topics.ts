import type { DeliveryCounts } from '../modules/message/recipient.queries.js';

/**
 * Realtime topics shared by the API (subscribers) and the worker/webhooks (publishers), carried
 * over Redis pub/sub so every API process sees every event.
 */
export const progressTopic = (keyPrefix: string, messageId: number) => `${keyPrefix}message-progress:${messageId}`;

export interface MessageProgressEvent {
  messageId: number;
  churchId: number;
  status: string;
  counts: DeliveryCounts;
  /** nothing left queued or sending */
  done: boolean;
  at: string;
}
