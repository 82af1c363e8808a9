import DataLoader from 'dataloader';
import type { Queryable } from '../../db/client.js';
import { byId, type LoaderScope } from '../../lib/loader-kit.js';
import { conversationsByIds, membersByPhones, type ConversationRow } from './conversation.queries.js';

/** Conversations and who their numbers belong to, only in the churches whose people the viewer may see. */
export function conversationLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  return {
    conversation: byId<ConversationRow>((ids) => conversationsByIds(db, ids, data)),
    /** Conversation.members: the members holding the number, keyed `${churchId}:${phone}` */
    conversationMembers: new DataLoader<string, number[]>(async (keys) => {
      const parsed = keys.map((k) => ({ churchId: Number(k.slice(0, k.indexOf(':'))), phone: k.slice(k.indexOf(':') + 1) }));
      const out = new Map<string, number[]>();
      for (const r of await membersByPhones(db, parsed, data)) {
        const key = `${r.church_id}:${r.phone}`;
        const list = out.get(key);
        if (list) list.push(r.id);
        else out.set(key, [r.id]);
      }
      return keys.map((k) => out.get(k) ?? []);
    }),
  };
}
