import type { Scope } from '../scope.js';
import type { InboxEvent } from '../../realtime/topics.js';
import { inboxTopic } from '../../realtime/topics.js';
import { ROLE_RANK, requireChurchRole } from '../viewer.js';
import type { AuthState } from '../viewer.js';
import { getChurch } from '../church/church.service.js';
import * as q from './conversation.queries.js';

function mayWatch(auth: AuthState, churchId: number): boolean {
  const role = auth.viewer?.roles.get(churchId);
  return role !== undefined && ROLE_RANK[role] >= ROLE_RANK.viewer;
}

/**
 * A church's inbox, live: the channel carries ids only, and every event is checked (it names this
 * church, the subscriber still has a role there) and then read from the database in that church
 * before it is delivered, so an event that names another church's rows delivers nothing. Over a
 * WebSocket `scope.auth` is the socket's live authentication (src/http/subscriptions.ts), so a
 * subscriber who lost the church gets nothing more and the stream ends.
 */
async function inbox<T>(
  scope: Scope,
  churchId: string,
  kind: InboxEvent['kind'],
  read: (e: InboxEvent, churchId: number) => Promise<T | undefined>,
): Promise<AsyncIterable<T>> {
  // authorised like a query, before the socket is told the subscription started
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'viewer', 'churchId');
  const topic = inboxTopic(scope.progress.channels, church.id);
  const updates = scope.pubsub.asyncIterableIterator<InboxEvent>(topic) as AsyncIterableIterator<InboxEvent>;
  const log = scope.log;
  return (async function* () {
    try {
      for await (const e of updates) {
        if (!mayWatch(scope.auth, church.id)) return;
        if (e?.churchId !== church.id || !Number.isSafeInteger(e.conversationId)) {
          log.warn({ topic, churchId: e?.churchId }, 'dropped an inbox event for another church');
          continue;
        }
        if (e.kind !== kind) continue;
        const row = await read(e, church.id);
        if (row) yield row;
      }
    } finally {
      await updates.return?.();
    }
  })();
}

/** New inbound texts of a church's inbox. */
export function subscribeToInboxMessages(scope: Scope, churchId: string): Promise<AsyncIterable<q.ThreadMessage>> {
  return inbox(scope, churchId, 'message', (e, c) =>
    Number.isSafeInteger(e.conversationMessageId) ? q.threadRow(scope.db, e.conversationMessageId!, c) : Promise.resolve(undefined),
  );
}

/** Conversations of a church that changed (a text in or out, state, assignee, read). */
export function subscribeToConversationUpdates(scope: Scope, churchId: string): Promise<AsyncIterable<q.ConversationRow>> {
  return inbox(scope, churchId, 'conversation', async (e, c) => (await q.conversationsByIds(scope.db, [e.conversationId], [c]))[0]);
}
