import express, { type Request, type Response } from 'express';
import { and, eq } from 'drizzle-orm';
import { churches } from '../db/schema/index.js';
import type { AppDeps } from '../graphql/context.js';
import { enqueueSms } from '../jobs/enqueue.js';
import { applyProviderStatus, optInPhone, optOutPhone, requeueForRetry } from '../modules/message/recipient.queries.js';
import { keywordOf, MAX_SEND_ROUNDS, RETRYABLE_CARRIER_CODES } from '../sms/keywords.js';
import { validTwilioSignature } from '../sms/signature.js';
import { invalidatePeople } from '../cache/invalidate.js';

const STATUS_MAP: Record<string, 'sent' | 'delivered' | 'undelivered' | 'failed' | undefined> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

function twiml(message?: string): string {
  const esc = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${message ? `<Message>${esc(message)}</Message>` : ''}</Response>`;
}

/**
 * Twilio webhooks. Each request is authenticated by X-Twilio-Signature computed over PUBLIC_URL +
 * the path (the URL Twilio called, which behind a TLS proxy is not what this process sees).
 * Without Twilio credentials (SMS_PROVIDER=log) the routes answer 404.
 */
export function twilioWebhooks(deps: AppDeps): express.Router {
  const router = express.Router();
  const twilio = deps.config.sms.twilio;
  router.use(express.urlencoded({ extended: false, limit: '64kb' }));

  const verified = (req: Request, res: Response): boolean => {
    if (!twilio) {
      res.status(404).end();
      return false;
    }
    const url = `${deps.config.publicUrl}${req.originalUrl}`;
    const params = (req.body ?? {}) as Record<string, string>;
    if (!validTwilioSignature(twilio.authToken, req.get('x-twilio-signature'), url, params)) {
      deps.log.warn({ url }, 'twilio webhook with a bad signature refused');
      res.status(403).type('text/plain').send('invalid signature');
      return false;
    }
    return true;
  };

  router.post('/status', async (req, res, next) => {
    try {
      if (!verified(req, res)) return;
      const sid = String(req.body.MessageSid ?? '');
      const raw = String(req.body.MessageStatus ?? '').toLowerCase();
      const errorCode = req.body.ErrorCode ? String(req.body.ErrorCode) : null;
      const status = STATUS_MAP[raw];
      if (!sid || !status) {
        res.status(204).end(); // queued/sending/accepted: nothing beyond what we know
        return;
      }
      const rid = Number(req.query.rid);
      const n = Number(req.query.n);
      const attempt = Number.isSafeInteger(rid) && rid > 0 && Number.isSafeInteger(n) ? { recipientId: rid, attempts: n } : undefined;
      const update = await applyProviderStatus(deps.db, sid, status, raw, errorCode, attempt);
      if (update) {
        if ((status === 'undelivered' || status === 'failed') && errorCode && RETRYABLE_CARRIER_CODES.has(errorCode) && update.attempts < MAX_SEND_ROUNDS) {
          // a carrier hiccup (queue full, handset unreachable): another round after 2 s, 4 s, …
          const round = await requeueForRetry(deps.db, update.id);
          if (round !== null) {
            await enqueueSms(deps.smsQueue, [{ recipientId: update.id, messageId: update.messageId, churchId: update.churchId, round, sendAt: new Date(Date.now() + 2000 * 2 ** Math.max(0, update.attempts - 1)) }], deps.log);
          }
        }
        deps.progress.touch(update.messageId);
      }
      res.status(204).end();
    } catch (e) {
      next(e);
    }
  });

  router.post('/inbound', async (req, res, next) => {
    try {
      if (!verified(req, res)) return;
      const to = String(req.body.To ?? '');
      const from = String(req.body.From ?? '');
      const { kind, word } = keywordOf(String(req.body.Body ?? ''));
      const [church] = await deps.db.select().from(churches).where(and(eq(churches.smsFromNumber, to)));
      res.type('text/xml');
      if (!church || !kind) {
        res.send(twiml());
        return;
      }
      if (kind === 'opt-out') {
        const ids = await optOutPhone(deps.db, church.id, from, `keyword:${word}`);
        await invalidatePeople(deps.cache, church.id);
        deps.log.info({ churchId: church.id, members: ids.length, word }, 'sms opt-out');
        res.send(twiml(`You are unsubscribed from ${church.name} texts. Reply START to resubscribe.`));
      } else if (kind === 'opt-in') {
        const ids = await optInPhone(deps.db, church.id, from);
        await invalidatePeople(deps.cache, church.id);
        deps.log.info({ churchId: church.id, members: ids.length, word }, 'sms opt-in');
        res.send(twiml(`You are subscribed to ${church.name} texts again. Reply STOP to unsubscribe.`));
      } else {
        res.send(twiml(church.smsHelpText ?? `${church.name}: reply STOP to unsubscribe. Msg & data rates may apply.`));
      }
    } catch (e) {
      next(e);
    }
  });
  return router;
}
