import type { Context } from '../../graphql/context.js';
import type { MessageProgressEvent } from '../../realtime/topics.js';
import type { AuthState } from '../auth/viewer.js';
import { requireChurchRole, ROLE_RANK } from '../auth/viewer.js';
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
 * and its church, and only while the subscriber still has a role there. Over a WebSocket `ctx.auth`
 * is the socket's live authentication (src/http/subscriptions.ts re-authenticates it when the
 * user's access changes), so a subscriber who lost the church gets nothing more and the stream ends.
 */
export async function subscribeToProgress(ctx: Context, messageId: string): Promise<AsyncIterable<MessageProgressEvent>> {
  const m = await getMessage({ ctx, id: messageId });
  requireChurchRole(ctx.auth, m.churchId, 'viewer', 'messageId');
  const updates = ctx.pubsub.asyncIterableIterator<MessageProgressEvent>(ctx.progress.topic(m.id)) as AsyncIterableIterator<MessageProgressEvent>;
  const counts = (await countsByMessage(ctx.db, [m.id])).get(m.id)!;
  const first: MessageProgressEvent = {
    messageId: m.id,
    churchId: m.churchId,
    status: m.status,
    counts,
    done: isDone(counts),
    at: new Date().toISOString(),
  };
  const log = ctx.log;
  return (async function* () {
    try {
      yield first;
      for await (const e of updates) {
        if (!mayWatch(ctx.auth, m.churchId)) return;
        if (e?.messageId !== m.id || e.churchId !== m.churchId) {
          log.warn({ topic: ctx.progress.topic(m.id), messageId: e?.messageId, churchId: e?.churchId }, 'dropped a progress event for another message or church');
          continue;
        }
        yield e;
      }
    } finally {
      await updates.return?.();
    }
  })();
}
