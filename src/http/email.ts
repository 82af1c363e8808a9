import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../graphql/context.js';
import {
  applyUnsubscribe,
  recordEmailEvents,
  unsubscribeState,
  type EmailEvent,
  type EmailLinkScope,
  type UnsubscribePage,
} from '../modules/message/email.service.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, inner: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${esc(title)}</title></head>` +
    `<body style="font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem"><main><h1>${esc(title)}</h1>${inner}</main></body></html>`
  );
}

/** The page for a link's person: unsubscribe (or resubscribe) with one button, posting to the same URL. */
function statePage(state: UnsubscribePage, token: string, done?: 'unsubscribe' | 'resubscribe'): string {
  const action = `?t=${encodeURIComponent(token)}`;
  const who = `<strong>${esc(state.email)}</strong>`;
  const church = `<strong>${esc(state.churchName)}</strong>`;
  if (state.optedOut) {
    return page(
      'You are unsubscribed',
      `<p role="status">${done === 'unsubscribe' ? 'Done: ' : ''}${church} will send no more email to you at ${who}. Texts are not affected.</p>` +
        `<form method="post" action="${action}"><input type="hidden" name="action" value="resubscribe"><button type="submit">Subscribe again</button></form>`,
    );
  }
  return page(
    done === 'resubscribe' ? 'You are subscribed again' : 'Unsubscribe from email',
    `<p role="status">${done === 'resubscribe' ? `${church} may email you at ${who} again.` : `Stop email from ${church} to ${who}?`}</p>` +
      `<form method="post" action="${action}"><input type="hidden" name="action" value="unsubscribe"><button type="submit">Unsubscribe</button></form>`,
  );
}

const INVALID = page('This link does not work', '<p>The unsubscribe link is incomplete or was changed. Use the link from the email as it came.</p>');

/**
 * GET and POST /email/unsubscribe?t=<signed token> (src/email/unsubscribe-token.ts): the link of
 * every email's List-Unsubscribe header and footer. GET only shows a page (mail scanners and
 * previews fetch links: a GET must change nothing); POST unsubscribes, from the mail client's
 * one-click button (RFC 8058: body List-Unsubscribe=One-Click, no cookies) or the page's.
 */
export function emailLinks(deps: AppDeps): express.Router {
  const router = express.Router();
  const scope: EmailLinkScope = { db: deps.db, cache: deps.cache, log: deps.log, secret: deps.config.email.unsubscribeSecret };
  router.use(express.urlencoded({ extended: false, limit: '8kb' }));
  const noStore = (res: Response) => res.set('cache-control', 'no-store').set('referrer-policy', 'no-referrer');

  router.get('/unsubscribe', async (req, res, next) => {
    try {
      noStore(res);
      const token = String(req.query.t ?? '');
      const state = await unsubscribeState(scope, token);
      if (!state) return void res.status(400).type('html').send(INVALID);
      res.type('html').send(statePage(state, token));
    } catch (e) {
      next(e);
    }
  });

  router.post('/unsubscribe', async (req, res, next) => {
    try {
      noStore(res);
      const token = String(req.query.t ?? '');
      const form = (req.body ?? {}) as Record<string, unknown>;
      const action = form.action === 'resubscribe' ? 'resubscribe' : 'unsubscribe';
      const via = form['List-Unsubscribe'] === 'One-Click' ? 'unsubscribe:one-click' : `${action}:page`;
      const state = await applyUnsubscribe(scope, token, action, via);
      if (!state) return void res.status(400).type('html').send(INVALID);
      res.type('html').send(statePage(state, token, action));
    } catch (e) {
      next(e);
    }
  });
  router.use(bodyErrors(deps));
  return router;
}

const event = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email()),
  type: z.enum(['bounce', 'complaint']),
  permanent: z.boolean().optional().default(true),
  messageId: z.string().min(3).max(300).optional(),
  detail: z.string().max(1000).optional(),
});
const MAX_EVENTS = 100;
const body = z.union([event, z.array(event).min(1).max(MAX_EVENTS), z.object({ events: z.array(event).min(1).max(MAX_EVENTS) })]);

/** Bearer <secret>, or X-Steeple-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>. */
function authorized(secret: string, req: Request): boolean {
  const same = (a: string, b: string) => {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  };
  const bearer = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
  if (bearer) return same(bearer, secret);
  const sig = /^sha256=([0-9a-f]{64})$/i.exec(req.get('x-steeple-signature') ?? '')?.[1];
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  if (sig && raw) return same(sig.toLowerCase(), createHmac('sha256', secret).update(raw).digest('hex'));
  return false;
}

/**
 * POST /webhooks/email/events: bounces and complaints from the mail provider, as JSON (one event,
 * an array, or { events: [...] }, at most 100): { email, type: bounce|complaint, permanent?,
 * messageId?, detail? }. Authenticated by EMAIL_WEBHOOK_SECRET (bearer or body signature); without
 * one set, 404.
 */
export function emailWebhooks(deps: AppDeps): express.Router {
  const router = express.Router();
  const secret = deps.config.email.webhookSecret;
  router.use(
    express.json({
      limit: '256kb',
      verify: (req, _res, buf) => {
        (req as Request & { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );
  router.post('/events', async (req, res, next) => {
    try {
      if (!secret) return void res.status(404).end();
      if (!authorized(secret, req)) {
        deps.log.warn('email webhook with a bad secret or signature refused');
        return void res.status(401).json({ error: 'unauthorized' });
      }
      const parsed = body.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path.filter((x) => typeof x === 'string').join('.') || 'body';
        deps.log.info({ field }, 'email webhook with bad input refused');
        return void res.status(400).json({ error: `${field}: ${issue.message}`, field });
      }
      const list = Array.isArray(parsed.data) ? parsed.data : 'events' in parsed.data ? parsed.data.events : [parsed.data];
      const events: EmailEvent[] = list.map((x) => ({ email: x.email, type: x.type, permanent: x.permanent, messageId: x.messageId ?? null, detail: x.detail ?? null }));
      const results = await recordEmailEvents({ db: deps.db, smsQueue: deps.smsQueue, cache: deps.cache, progress: deps.progress, log: deps.log }, events);
      res.json({ results });
    } catch (e) {
      next(e);
    }
  });
  router.use(bodyErrors(deps));
  return router;
}

/** Bodies the parser refused (not JSON, too large): 4xx in plain text, no stack. */
function bodyErrors(deps: AppDeps) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    const e = (err ?? {}) as { type?: unknown; status?: unknown; message?: unknown };
    if (typeof e.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      deps.log.warn({ path: req.path, type: e.type, status: e.status }, 'email request body refused');
      res.status(e.status).type('text/plain').send(`bad request: ${String(e.message ?? e.type)}`);
      return;
    }
    next(err);
  };
}
