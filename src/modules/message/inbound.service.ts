import type { RedisTagStore } from '../../cache/tag-store.js';
import { invalidatePeople } from '../../cache/invalidate.js';
import type { Db } from '../../db/client.js';
import { E164, keywordOf } from '../../delivery/keywords.js';
import type { Logger } from '../../lib/logger.js';
import { churchBySmsNumber } from '../church/church.queries.js';
import { optInPhone, optOutPhone } from './recipient.queries.js';
import { audit } from '../audit/audit.service.js';

export interface InboundScope {
  db: Db;
  cache: RedisTagStore | null;
  log: Logger;
}

/**
 * A text that came in to one of our numbers. STOP-family words opt the number out of that church's
 * texts (every member holding it, and the number itself for people added later), START-family
 * words opt it back in, HELP answers the church's help text. Returns the reply to send back, or null
 * for none: a number no church owns, a sender that is not a phone number, or a text that is not a
 * keyword.
 */
export async function receiveText(scope: InboundScope, text: { to: string; from: string; body: string }): Promise<string | null> {
  const { kind, word } = keywordOf(text.body);
  // a keyword is recorded for the number it came from: without a number there is nothing to record
  if (!kind || !E164.test(text.from)) return null;
  const church = await churchBySmsNumber(scope.db, text.to);
  if (!church) return null;
  if (kind === 'opt-out') {
    const ids = await scope.db.transaction(async (tx) => {
      const changed = await optOutPhone(tx, church.id, text.from, `keyword:${word}`);
      await audit(tx, { userId: null, tokenId: null, label: `keyword:${word}` }, [{ churchId: church.id, entity: 'Consent', entityId: text.from, action: 'opt-out', changes: { optedOut: [null, true], members: [null, changed] } }]);
      return changed;
    });
    await invalidatePeople(scope.cache, church.id);
    scope.log.info({ churchId: church.id, members: ids.length, word }, 'sms opt-out');
    return `You are unsubscribed from ${church.name} texts. Reply START to resubscribe.`;
  }
  if (kind === 'opt-in') {
    const ids = await scope.db.transaction(async (tx) => {
      const changed = await optInPhone(tx, church.id, text.from);
      await audit(tx, { userId: null, tokenId: null, label: `keyword:${word}` }, [{ churchId: church.id, entity: 'Consent', entityId: text.from, action: 'opt-in', changes: { optedOut: [null, false], members: [null, changed] } }]);
      return changed;
    });
    await invalidatePeople(scope.cache, church.id);
    scope.log.info({ churchId: church.id, members: ids.length, word }, 'sms opt-in');
    return `You are subscribed to ${church.name} texts again. Reply STOP to unsubscribe.`;
  }
  return church.smsHelpText ?? `${church.name}: reply STOP to unsubscribe. Msg & data rates may apply.`;
}
