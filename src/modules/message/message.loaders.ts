import DataLoader from 'dataloader';
import type { Queryable } from '../../db/client.js';
import { byId, family, grouped, type LoaderScope } from '../../lib/loader-kit.js';
import { messagesByIds, recentForMember, type MessageRow, type RecentTextRow } from './message.queries.js';
import { countsByMessageInChurches, type DeliveryCounts } from './recipient.queries.js';
import { emailOptOutsByMember } from './email.queries.js';

/** Messages and their delivery, only in the churches whose people the viewer may see (scope.data). */
export function messageLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  return {
    message: byId<MessageRow>((ids) => messagesByIds(db, ids, data)),
    /** Member.recentMessages: the last texts of several members in one statement */
    recentMessages: family((perMember: number) =>
      grouped<RecentTextRow>(async (ids) => {
        const out = new Map<number, RecentTextRow[]>();
        for (const r of await recentForMember(db, ids, perMember, data)) {
          const list = out.get(r.member_id);
          if (list) list.push(r);
          else out.set(r.member_id, [r]);
        }
        return out;
      }),
    ),
    /** Message.counts: null for a message outside the scope (not zeros: the message is not there) */
    messageCounts: new DataLoader<number, DeliveryCounts | null>(async (ids) => {
      const map = await countsByMessageInChurches(db, ids, data);
      return ids.map((id) => map.get(id) ?? null);
    }),
    /** Member.emailOptedOutAt: when each person unsubscribed from email (null: they did not, or out of scope) */
    emailOptOut: new DataLoader<number, Date | null>(async (ids) => {
      const map = await emailOptOutsByMember(db, ids, data);
      return ids.map((id) => map.get(id) ?? null);
    }),
  };
}
