import express, { type Request, type Response } from 'express';
import { and, eq } from 'drizzle-orm';
import { churches } from '../db/schema/index.js';
import type { AppDeps } from '../graphql/context.js';
import { enqueueSms } from '../jobs/enqueue.js';
import { applyProviderStatus, optInPhone, optOutPhone, requeueForRetry } from '../modules/message/recipient.queries.js';
import { anotherRoundInMs, providerStatus } from '../delivery/status.js';
import { E164, keywordOf } from '../sms/keywords.js';
import { validTwilioSignature } from '../sms/signature.js';
import { invalidatePeople } from '../cache/invalidate.js';
import { formOf, inboundInput, statusInput, webhookInputErrors, type Form } from './twilio-input.js';

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

  const verified = (req: Request, res: Response, params: Form): boolean => {
    if (!twilio) {
      res.status(404).end();
      return false;
    }
    const url = `${deps.config.publicUrl}${req.originalUrl}`;
    if (!validTwilioSignature(twilio.authToken, req.get('x-twilio-signature'), url, params)) {
      deps.log.warn({ url }, 'twilio webhook with a bad signature refused');
      res.status(403).type('text/plain').send('invalid signature');
      return false;
    }
    return true;
  };

  router.post('/status', async (req, res, next) => {
    try {
      const form = formOf(req.body);
      if (!verified(req, res, form)) return;
      const { sid, status: raw, errorCode, tag } = statusInput(form, req.query);
      const status = providerStatus(raw);
      if (!status) {
        res.status(204).end(); // queued/sending/accepted: nothing beyond what we know
        return;
      }
      // the callback names the provider message and the attempt that sent it (see applyProviderStatus)
      const update = await applyProviderStatus(deps.db, sid, status, raw, errorCode, tag);
      if (update) {
        // a carrier hiccup (queue full, handset unreachable): another round after 2 s, 4 s, …
        const inMs = anotherRoundInMs(status, errorCode, update.attempts);
        if (inMs !== null) {
          const round = await requeueForRetry(deps.db, update.id);
          if (round !== null) {
            await enqueueSms(deps.smsQueue, [{ recipientId: update.id, messageId: update.messageId, churchId: update.churchId, round, sendAt: new Date(Date.now() + inMs) }], deps.log);
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
      const form = formOf(req.body);
      if (!verified(req, res, form)) return;
      const { to, from, body } = inboundInput(form);
      const { kind, word } = keywordOf(body);
      const [church] = await deps.db.select().from(churches).where(and(eq(churches.smsFromNumber, to)));
      res.type('text/xml');
      // a keyword is recorded for the number it came from: without a number there is nothing to record
      if (!church || !kind || !E164.test(from)) {
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
  // missing or malformed parameters, unreadable bodies: 4xx without a stack (twilio-input.ts)
  router.use(webhookInputErrors(deps.log));
  return router;
}
