import express, { type Request, type Response } from 'express';
import type { AppDeps } from '../graphql/context.js';
import { providerStatus } from '../delivery/status.js';
import { batchedStatusWriter, recordProviderReport, type DeliveryScope } from '../modules/message/delivery.service.js';
import { inboxPublisher, receiveInbound, type InboxScope } from '../modules/conversation/conversation.service.js';
import { validTwilioSignature } from '../sms/signature.js';
import { formOf, inboundInput, statusInput, webhookInputErrors, type Form } from './twilio-input.js';

function twiml(message?: string): string {
  const esc = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${message ? `<Message>${esc(message)}</Message>` : ''}</Response>`;
}

/**
 * Twilio webhooks. Each request is authenticated by X-Twilio-Signature computed over PUBLIC_URL +
 * the path (the URL Twilio called, which behind a TLS proxy is not what this process sees).
 * Without Twilio credentials (SMS_PROVIDER=log) the routes answer 404. What a report or a text
 * means is the delivery and inbound services' business: this file only verifies and translates.
 */
export function twilioWebhooks(deps: AppDeps): express.Router {
  const router = express.Router();
  const twilio = deps.config.sms.twilio;
  router.use(express.urlencoded({ extended: false, limit: '64kb' }));
  // two callbacks per text: during a send, hundreds a second, written a batch per statement
  const delivery: DeliveryScope = {
    db: deps.db,
    smsQueue: deps.smsQueue,
    progress: deps.progress,
    log: deps.log,
    clock: deps.clock,
    statusWriter: batchedStatusWriter(deps.db),
  };
  const inbox: InboxScope = { db: deps.db, cache: deps.cache, log: deps.log, publishInbox: inboxPublisher(deps) };

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
      const outcome = providerStatus(raw);
      // queued/sending/accepted say nothing beyond what we know
      if (outcome) await recordProviderReport(delivery, { sid, outcome, word: raw, errorCode, tag });
      res.status(204).end();
    } catch (e) {
      next(e);
    }
  });

  router.post('/inbound', async (req, res, next) => {
    try {
      const form = formOf(req.body);
      if (!verified(req, res, form)) return;
      const reply = await receiveInbound(inbox, inboundInput(form));
      res.type('text/xml').send(twiml(reply ?? undefined));
    } catch (e) {
      next(e);
    }
  });
  // missing or malformed parameters, unreadable bodies: 4xx without a stack (twilio-input.ts)
  router.use(webhookInputErrors(deps.log));
  return router;
}
