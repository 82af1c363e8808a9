import DataLoader from 'dataloader';
import type { Queryable } from '../../db/client.js';
import { byId, family, grouped, type LoaderScope } from '../../lib/loader-kit.js';
import { messagesByIds, recentForMember, type MessageRow } from './message.queries.js';
import { countsByMessageInChurches, type DeliveryCounts } from './recipient.queries.js';

/** Messages and their delivery, only in the churches whose people the viewer may see (scope.data). */
export function messageLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  return {
    message: byId<MessageRow>((ids) => messagesByIds(db, ids, data)),
    /** Member.recentMessages: the last texts of several members in one statement */
    recentMessages: family((perMember: number) =>
      grouped<Record<string, unknown>>(async (ids) => {
        const rows = await recentForMember(db, ids, perMember, data);
        const out = new Map<number, Record<string, unknown>[]>();
        for (const r of rows) out.set(r.member_id as number, [...(out.get(r.member_id as number) ?? []), r]);
        return out;
      }),
    ),
    /** Message.counts: null for a message outside the scope (not zeros: the message is not there) */
    messageCounts: new DataLoader<number, DeliveryCounts | null>(async (ids) => {
      const map = await countsByMessageInChurches(db, ids, data);
      return ids.map((id) => map.get(id) ?? null);
    }),
  };
}
