import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { intArray } from '../../db/sql.js';
import { isDone } from '../../delivery/status.js';
import type { MessageProgressEvent } from '../../realtime/topics.js';
import { countsByMessage, settleMessages } from './recipient.queries.js';

/**
 * Messages whose recipients changed: each one's status settles (SENDING → COMPLETED once no
 * recipient can change) and its counts are read, as the progress events to publish. Called by the
 * progress publisher's coalescing flush (src/realtime/publisher.ts), at most once per message per
 * interval however many recipients changed.
 */
export async function settleProgress(db: Queryable, ids: number[]): Promise<MessageProgressEvent[]> {
  await settleMessages(db, ids);
  const counts = await countsByMessage(db, ids);
  const rows = await db.execute<{ id: number; church_id: number; status: string }>(
    sql`SELECT id, church_id, status FROM messages WHERE id = ANY(${intArray(ids)})`,
  );
  const at = new Date().toISOString();
  return rows.map((m) => {
    const c = counts.get(m.id)!;
    return { messageId: m.id, churchId: m.church_id, status: m.status, counts: c, done: isDone(c), at };
  });
}
