import type { Scope } from '../scope.js';
import type { MessageProgressEvent } from '../../realtime/topics.js';
import type { AuthState } from '../viewer.js';
import { requireChurchRole, ROLE_RANK } from '../viewer.js';
import { countsByMessage } from './recipient.queries.js';
import { getMessage } from './message.service.js';
import { isDone } from '../../delivery/status.js';

/** May this viewer, as they are now, still see this church's messages? */
function mayWatch(auth: AuthState, churchId: number): boolean {
  const role = auth.viewer?.roles.get(churchId);
  return role !== undefined && ROLE_RANK[role] >= ROLE_RANK.viewer;
}

/**
 * messageProgress: authorised like a query (another church's message is NOT_FOUND), then the
 * current state first, followed by every update published through Redis by the worker and the
 * webhooks (from any process).
 *
 * What arrives on the channel is not trusted: an event is delivered only if it names this message
 * and its church, and only while the subscriber still has a role there. Over a WebSocket `scope.auth`
 * is the socket's live authentication (src/http/subscriptions.ts re-authenticates it when the
 * user's access changes), so a subscriber who lost the church gets nothing more and the stream ends.
 */
export async function subscribeToProgress(scope: Scope, messageId: string): Promise<AsyncIterable<MessageProgressEvent>> {
  const m = await getMessage({ scope, id: messageId });
  requireChurchRole(scope.auth, m.churchId, 'viewer', 'messageId');
  const updates = scope.pubsub.asyncIterableIterator<MessageProgressEvent>(scope.progress.topic(m.id)) as AsyncIterableIterator<MessageProgressEvent>;
  const counts = (await countsByMessage(scope.db, [m.id])).get(m.id)!;
  const first: MessageProgressEvent = {
    messageId: m.id,
    churchId: m.churchId,
    status: m.status,
    counts,
    done: isDone(counts),
    at: new Date().toISOString(),
  };
  const log = scope.log;
  return (async function* () {
    try {
      yield first;
      for await (const e of updates) {
        if (!mayWatch(scope.auth, m.churchId)) return;
        if (e?.messageId !== m.id || e.churchId !== m.churchId) {
          log.warn({ topic: scope.progress.topic(m.id), messageId: e?.messageId, churchId: e?.churchId }, 'dropped a progress event for another message or church');
          continue;
        }
        yield e;
      }
    } finally {
      await updates.return?.();
    }
  })();
}
