import type { Scope } from '../scope.js';
import type { Db } from '../../db/client.js';
import type { Logger } from '../../lib/logger.js';
import type { RedisTagStore } from '../../cache/tag-store.js';
import { ConversationState } from '../../db/schema/enums.js';
import { E164, keywordOf } from '../../delivery/keywords.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { BadInputError, NotFoundError } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import { inboxTopic, type InboxEvent } from '../../realtime/topics.js';
import { churchBySmsNumber } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import { receiveText } from '../message/inbound.service.js';
import { sendOneText } from '../message/message.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import * as q from './conversation.queries.js';

/** Texts sent to a number before its first reply, linked into the new conversation (per member holding it). */
export const EARLIER_TEXTS = 20;

export interface InboxScope {
  db: Db;
  cache: RedisTagStore | null;
  log: Logger;
  /** publishes an inbox event on the church's channel (every API process hears it) */
  publishInbox(event: InboxEvent): Promise<void>;
}

/** The channel publisher a Scope gives the inbox (src/realtime/topics.ts inboxTopic). */
export function inboxPublisher(scope: Pick<Scope, 'pubsub' | 'progress' | 'log'>): (e: InboxEvent) => Promise<void> {
  return async (e) => {
    try {
      await scope.pubsub.publish(inboxTopic(scope.progress.channels, e.churchId), e);
    } catch (err) {
      // live updates are advisory: the rows are written; a reload shows them
      scope.log.warn({ err: (err as Error).message, churchId: e.churchId }, 'could not publish an inbox event');
    }
  };
}

/**
 * A text that came in to a church's number. Carrier keywords (STOP, START, HELP) are consent
 * (inbound.service.ts) and answered; anything else lands in the conversation of (church, number),
 * once per provider id (a webhook delivered twice writes one row, counts one unread). A number no
 * church owns, or a sender that is not a phone number, records nothing. Returns the reply, or null.
 */
export async function receiveInbound(scope: InboxScope, text: { to: string; from: string; body: string; sid?: string }): Promise<string | null> {
  if (keywordOf(text.body).kind) return receiveText(scope, text);
  if (!E164.test(text.from)) return null;
  const church = await churchBySmsNumber(scope.db, text.to);
  if (!church) return null;
  if (!text.sid) {
    scope.log.warn({ churchId: church.id }, 'an inbound text without MessageSid was not recorded');
    return null;
  }
  const recorded = await scope.db.transaction(async (tx) => {
    const conv = await q.lockConversation(tx, church.id, text.from);
    // the texts it may answer come first in the thread
    if (conv.created) await q.linkEarlierTexts(tx, church.id, conv.id, text.from, EARLIER_TEXTS);
    const id = await q.insertInbound(tx, { churchId: church.id, conversationId: conv.id, body: text.body, sid: text.sid! });
    // already recorded (the webhook again): nothing of this transaction is kept
    if (id === null) return null;
    await q.touchInbound(tx, conv.id);
    return { conversationId: conv.id, messageId: id };
  });
  if (!recorded) {
    scope.log.info({ churchId: church.id, sid: text.sid }, 'inbound text already recorded');
    return null;
  }
  scope.log.info({ churchId: church.id, conversationId: recorded.conversationId }, 'inbound text');
  await scope.publishInbox({ churchId: church.id, conversationId: recorded.conversationId, kind: 'message', conversationMessageId: recorded.messageId });
  await scope.publishInbox({ churchId: church.id, conversationId: recorded.conversationId, kind: 'conversation' });
  return null;
}

export async function getConversation({ scope, id, field = 'id' }: { scope: Scope; id: string; field?: string }): Promise<q.ConversationRow> {
  requireViewer(scope.auth);
  const conversationId = parseId(id, 'Conversation', field);
  const c = await scope.loaders.conversation.load(conversationId);
  if (!c) throw new NotFoundError('Conversation', conversationId, field);
  requireChurchRole(scope.auth, c.churchId, 'viewer', field);
  return c;
}

export interface ConversationsArgs {
  churchId: string;
  state?: ConversationState | null;
  assigneeId?: string | null;
  unread?: boolean | null;
  first?: number;
  after?: string | null;
}

export async function listConversations({ scope, args }: { scope: Scope; args: ConversationsArgs }) {
  const church = await getChurch({ scope, id: args.churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'viewer');
  const first = pageSize(args.first);
  const after = cursorKeys(args.after, 'CONVERSATION', ['string', 'number']);
  if (after && !/^-?\d{1,19}$/.test(after[0])) throw new BadInputError({ field: 'after', message: 'is not a cursor of this list' });
  const filter: q.ConversationFilter = {
    state: args.state ?? undefined,
    assigneeId: args.assigneeId != null ? parseId(args.assigneeId, 'User', 'assigneeId') : undefined,
    unread: args.unread ?? undefined,
  };
  const rows = first === 0 ? [] : await q.pageConversations(scope.db, church.id, filter, first + 1, after);
  for (const c of rows) scope.loaders.conversation.prime(c.id, c);
  return toConnection(rows, first, after !== undefined, cursorEdge('CONVERSATION', (c: q.ConversationRow) => [c.activityUs, c.id]), () =>
    q.countConversations(scope.db, church.id, filter),
  );
}

export async function listThread({ scope, conversation, first: f, after: a }: { scope: Scope; conversation: q.ConversationRow; first?: number; after?: string | null }) {
  requireChurchRole(scope.auth, conversation.churchId, 'viewer');
  const first = pageSize(f);
  const after = cursorKeys(a, 'THREAD', ['number']);
  const rows = first === 0 ? [] : await q.pageThread(scope.db, conversation.id, [conversation.churchId], first + 1, after?.[0]);
  return toConnection(rows, first, after !== undefined, cursorEdge('THREAD', (r: q.ThreadMessage) => [r.id]), () => q.countThread(scope.db, conversation.id));
}

/** A staff reply: one text through the outbox and the worker, in the thread at once (its status follows the text's). */
export async function reply({ scope, id, body, urgent }: { scope: Scope; id: string; body: string; urgent: boolean }): Promise<q.ThreadMessage> {
  const conv = await getConversation({ scope, id });
  requireChurchRole(scope.auth, conv.churchId, 'staff', 'id');
  const viewer = requireViewer(scope.auth);
  const church = await getChurch({ scope, id: String(conv.churchId), field: 'id' });
  const [memberId] = await scope.loaders.conversationMembers.load(`${conv.churchId}:${conv.phone}`);
  const { result: rowId } = await sendOneText(
    scope,
    { church, phone: conv.phone, memberId: memberId ?? null, body, urgent, field: 'body' },
    async (tx, message, recipientId) => {
      const rid = await q.insertReply(tx, { churchId: conv.churchId, conversationId: conv.id, body, messageId: message.id, recipientId, authorId: viewer.userId });
      await q.touchReply(tx, conv.id);
      return rid;
    },
  );
  scope.loaders.conversation.clear(conv.id);
  await inboxPublisher(scope)({ churchId: conv.churchId, conversationId: conv.id, kind: 'conversation' });
  return (await q.threadRow(scope.db, rowId, conv.churchId))!;
}

async function change(scope: Scope, id: string, patch: Parameters<typeof q.updateConversation>[2]): Promise<q.ConversationRow> {
  const conv = await getConversation({ scope, id });
  requireChurchRole(scope.auth, conv.churchId, 'staff', 'id');
  await q.updateConversation(scope.db, conv.id, patch);
  scope.loaders.conversation.clear(conv.id);
  await inboxPublisher(scope)({ churchId: conv.churchId, conversationId: conv.id, kind: 'conversation' });
  return getConversation({ scope, id });
}

/** Assigns a conversation to a STAFF (or higher) user of its church, or to nobody (null). */
export async function assign({ scope, id, userId }: { scope: Scope; id: string; userId: string | null }) {
  const conv = await getConversation({ scope, id });
  requireChurchRole(scope.auth, conv.churchId, 'staff', 'id');
  let assigneeId: number | null = null;
  if (userId !== null) {
    assigneeId = parseId(userId, 'User', 'userId');
    if (!(await q.isChurchStaff(scope.db, conv.churchId, assigneeId))) {
      throw new BadInputError({ field: 'userId', message: 'must be an active STAFF, ADMIN or OWNER user of this church' });
    }
  }
  return change(scope, id, { assigneeId });
}

export const setState = ({ scope, id, state }: { scope: Scope; id: string; state: ConversationState }) => {
  if (state !== ConversationState.OPEN && state !== ConversationState.CLOSED) throw new BadInputError({ field: 'state', message: 'must be OPEN or CLOSED' });
  return change(scope, id, { state });
};

export const markRead = ({ scope, id }: { scope: Scope; id: string }) => change(scope, id, { read: true });
