import { randomBytes } from 'node:crypto';
import type { Scope } from '../scope.js';
import { AppError, Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import { inboxPublisher, receiveInbound } from './conversation.service.js';
import * as q from './conversation.queries.js';

/** Twilio's MessageSid shape (twilio-input.ts accepts the same) */
const SID = /^[A-Za-z]{2}[A-Za-z0-9]{1,62}$/;

export interface SimulatedText {
  /** what the church's number would answer (STOP/START/HELP), null for none */
  reply: string | null;
  /** the text's conversation (null: a keyword, which is consent, not a conversation) */
  conversation: q.ConversationRow | null;
  messageSid: string;
  /** the text in the thread (recorded now, or already: the same messageSid again); null for a keyword */
  message: q.ThreadMessage | null;
}

/**
 * A text "from" a phone to the church's number, for a development inbox under SMS_PROVIDER=log,
 * where no Twilio can call the inbound webhook (it answers 404 there). It goes through the very
 * path the webhook takes (receiveInbound): STOP/START/HELP are consent and answered, anything else
 * lands in the conversation once per messageSid (give the same one twice to see the webhook's
 * idempotency). Refused unless config.sms.simulateInbound (log provider, not production): a
 * deployment that texts real people never takes texts nobody sent.
 */
export async function simulateInbound({ scope, churchId, from, body, messageSid }: { scope: Scope; churchId: string; from: string; body: string; messageSid?: string | null }): Promise<SimulatedText> {
  requireViewer(scope.auth);
  if (!scope.config.sms.simulateInbound) {
    throw new AppError('FORBIDDEN', 'simulateInboundText is a development tool: it needs SMS_PROVIDER=log outside production', { field: 'simulateInboundText' });
  }
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'staff');
  const p = new Problems();
  const phone = v.phone(p, 'from', from, scope.config.phone.defaultRegion);
  if (!phone && p.empty) p.add('from', 'is required');
  if (typeof body !== 'string' || [...body].length > 10_000) p.add('body', 'must be at most 10,000 characters (as the webhook takes)');
  if (messageSid != null && !SID.test(messageSid)) p.add('messageSid', 'must look like a Twilio MessageSid (SM followed by letters and digits)');
  if (!church.smsFromNumber) p.add('churchId', 'this church has no SMS number yet (updateChurch smsFromNumber)');
  p.throwIfAny();
  const sid = messageSid ?? `SM${randomBytes(16).toString('hex')}`;
  const inbox = { db: scope.db, cache: scope.cache, log: scope.log, publishInbox: inboxPublisher(scope) };
  const reply = await receiveInbound(inbox, { to: church.smsFromNumber!, from: phone!, body, sid });
  const messageId = await q.inboundIdBySid(scope.db, church.id, sid);
  const message = messageId === undefined ? null : ((await q.threadRow(scope.db, messageId, church.id)) ?? null);
  // a keyword is consent, not a conversation: none is reported for it
  const conversation = message ? ((await q.conversationByPhone(scope.db, church.id, phone!)) ?? null) : null;
  if (conversation) scope.loaders.conversation.prime(conversation.id, conversation);
  scope.log.info({ churchId: church.id, keyword: !message, reply: reply !== null }, 'simulated inbound text');
  return { reply, conversation, messageSid: sid, message };
}
