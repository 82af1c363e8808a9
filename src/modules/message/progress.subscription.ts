import type { Context } from '../../graphql/context.js';
import { progressTopic, type MessageProgressEvent } from '../../realtime/topics.js';
import { requireChurchRole } from '../auth/viewer.js';
import { countsByMessage } from './recipient.queries.js';
import { getMessage } from './message.service.js';

/**
 * messageProgress: authorised like a query (another church's message is NOT_FOUND), then the
 * current state first, followed by every update published through Redis by the worker and the
 * webhooks (from any process).
 */
export async function subscribeToProgress(ctx: Context, messageId: string): Promise<AsyncIterable<MessageProgressEvent>> {
  const m = await getMessage({ ctx, id: messageId });
  requireChurchRole(ctx.auth, m.churchId, 'viewer', 'messageId');
  const updates = ctx.pubsub.asyncIterableIterator<MessageProgressEvent>(progressTopic(ctx.config.redis.keyPrefix, m.id)) as AsyncIterableIterator<MessageProgressEvent>;
  const counts = (await countsByMessage(ctx.db, [m.id])).get(m.id)!;
  const first: MessageProgressEvent = {
    messageId: m.id,
    churchId: m.churchId,
    status: m.status,
    counts,
    done: counts.queued + counts.sending === 0,
    at: new Date().toISOString(),
  };
  return (async function* () {
    try {
      yield first;
      for await (const e of updates) yield e;
    } finally {
      await updates.return?.();
    }
  })();
}
