import { sql } from 'drizzle-orm';
import type { Queue } from 'bullmq';
import { invalidateMessaging, invalidatePeople } from '../../cache/invalidate.js';
import type { RedisTagStore } from '../../cache/tag-store.js';
import type { Db } from '../../db/client.js';
import { insertWithPartition } from '../../db/partitions.js';
import type { EmailSuppressionReason } from '../../db/schema/index.js';
import { readUnsubscribeToken } from '../../email/unsubscribe-token.js';
import { enqueueEmail } from '../../jobs/enqueue.js';
import { BadInputError, Problems } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import type { Scope } from '../scope.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import { actorOf, audit } from '../audit/audit.service.js';
import { checkAudienceAndSchedule, resolveAudience } from './audience.js';
import { checkContent, EMAIL_BODY_MAX, SUBJECT_MAX } from './content.js';
import { checkCustomFields } from './custom-merge.js';
import { templateForSend } from './template.service.js';
import * as e from './email.queries.js';
import type { SendMessageArgs } from './message.input.js';
import * as q from './message.queries.js';

export { EMAIL_BODY_MAX, SUBJECT_MAX } from './content.js';

/** A text's preview has no email skips. */
export const NO_EMAIL_SKIPS = { noEmail: 0, sharedEmail: 0, undeliverable: 0, complained: 0 };

/** A subject belongs to an email: a text given one is refused rather than sent without it. */
export function smsOnly(args: SendMessageArgs): void {
  if (args.subject !== undefined && args.subject !== null) throw new BadInputError({ field: 'subject', message: 'is for channel EMAIL only' });
}

interface EmailPlan {
  church: ChurchRow;
  /** as given, or the template's */
  subject: string;
  body: string;
  audience: q.AudienceSpec;
  recipients: Array<q.NewRecipient & { email: string | null }>;
  eligible: number;
  skipped: { optedOut: number; noPhone: 0; sharedPhone: 0; noEmail: number; sharedEmail: number; undeliverable: number; complained: number };
  sendAt: Date;
}

/**
 * The texts' plan (message.service.ts) for an email: the same audience, then consent first (a
 * person or address that unsubscribed from this church's email is never emailed), suppression
 * (an address that bounced or complained, reported to the webhook), then one email per address
 * (the household head first). Email keeps no quiet hours: it waits in the inbox.
 */
async function planEmail(scope: Scope, args: SendMessageArgs): Promise<EmailPlan> {
  const church = await getChurch({ scope, id: args.churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'staff');
  const p = new Problems();
  // a saved EMAIL template gives both subject and body; problems in them name templateId
  let subject = args.subject;
  let body = args.body;
  let fromTemplate = false;
  if (args.templateId != null) {
    if (args.body != null) p.add('templateId', 'give either body or templateId, not both');
    if (args.subject != null) p.add('templateId', 'the template carries the subject: give either subject or templateId, not both');
    p.throwIfAny();
    const t = await templateForSend(scope, church.id, args.templateId, 'email');
    [subject, body, fromTemplate] = [t.subject, t.body, true];
  }
  const subjectField = fromTemplate ? 'templateId' : 'subject';
  const bodyField = fromTemplate ? 'templateId' : 'body';
  const parsedSubject = checkContent(p, subjectField, subject, { max: SUBJECT_MAX, oneLine: true, blank: 'is required for an email and cannot be blank' });
  const parsedBody = checkContent(p, bodyField, body, { max: EMAIL_BODY_MAX });
  if (args.urgent) p.add('urgent', 'is for texts only: email keeps no quiet hours');
  checkAudienceAndSchedule(scope, p, args.audience, args.scheduleAt);
  p.throwIfAny();
  // {field.<key>}: fields of the church, not archived; the worker fills them per recipient
  await checkCustomFields(scope.db, church.id, [{ parsed: parsedSubject!, field: subjectField }, { parsed: parsedBody!, field: bodyField }]);
  const { spec: audience, lists } = await resolveAudience(scope, church.id, args.audience);
  const limit = scope.config.sms.maxRecipients;
  const people = await e.emailAudienceMembers(scope.db, church.id, audience, limit + 1, lists);
  if (people.length > limit) throw new BadInputError({ field: 'audience', message: `reaches more than ${limit} people; split the send` });

  const blocked = new Set(people.filter((m) => m.optedOut && m.email).map((m) => m.email));
  const taken = new Set<string>();
  const skipped: EmailPlan['skipped'] = { optedOut: 0, noPhone: 0, sharedPhone: 0, noEmail: 0, sharedEmail: 0, undeliverable: 0, complained: 0 };
  const skip = (memberId: number, email: string | null, reason: string) => ({ memberId, phone: null, email, status: 'skipped' as const, reason });
  const recipients = people.map((m) => {
    if (!m.email) {
      skipped.noEmail++;
      return skip(m.id, null, 'no_email');
    }
    if (m.optedOut || blocked.has(m.email)) {
      skipped.optedOut++;
      return skip(m.id, m.email, 'opted_out');
    }
    if (m.suppressed) {
      skipped[m.suppressed]++;
      return skip(m.id, m.email, m.suppressed);
    }
    if (taken.has(m.email)) {
      skipped.sharedEmail++;
      return skip(m.id, m.email, 'shared_email');
    }
    taken.add(m.email);
    return { memberId: m.id, phone: null, email: m.email, status: 'queued' as const, reason: null };
  });
  const now = scope.clock.now();
  const sendAt = args.scheduleAt && args.scheduleAt.getTime() > now.getTime() ? args.scheduleAt : now;
  return { church, subject: subject!, body: body!, audience, recipients, eligible: taken.size, skipped, sendAt };
}

export async function previewEmail({ scope, args }: { scope: Scope; args: SendMessageArgs }) {
  const pl = await planEmail(scope, args);
  return {
    channel: 'email' as const,
    body: pl.body,
    subject: pl.subject,
    encoding: null,
    segments: null,
    segmentRange: null,
    // as written: the worker fills merge fields per recipient
    longestText: pl.body,
    shortestText: pl.body,
    ucs2Texts: null,
    totalSegments: null,
    characters: [...pl.body].length,
    remainingInSegment: null,
    audienceCount: pl.recipients.length,
    recipientCount: pl.eligible,
    skipped: pl.skipped,
    estimatedCost: 0,
    sendAt: pl.sendAt,
  };
}

/**
 * The texts' outbox for an email: the message and one row per recipient (channel email) commit
 * together, the send-email jobs go in bulk after the commit, and the sweeper enqueues whatever
 * Redis did not take.
 */
export async function sendEmail({ scope, args }: { scope: Scope; args: SendMessageArgs }) {
  const pl = await planEmail(scope, args);
  if (pl.eligible === 0) throw new BadInputError({ field: 'audience', message: 'nobody in this audience can receive email' });
  const viewer = requireViewer(scope.auth);
  const write = () => scope.db.transaction(async (tx) => {
    const message = await q.insertMessage(tx, {
      churchId: pl.church.id,
      authorId: viewer.userId,
      channel: 'email',
      subject: pl.subject,
      body: pl.body,
      audience: pl.audience,
      status: pl.sendAt.getTime() > scope.clock.now().getTime() + 1000 ? 'scheduled' : 'sending',
      urgent: false,
      scheduledAt: args.scheduleAt ?? null,
      sendAt: pl.sendAt,
      encoding: null,
      segments: null,
      recipientCount: pl.eligible,
      skippedCount: pl.recipients.length - pl.eligible,
      estimatedCost: '0',
      fromNumber: null,
      fromAddress: scope.config.email.from,
    });
    const rows = await q.insertRecipients(tx, message, pl.recipients.map((r) => ({ ...r, channel: 'email' as const })));
    // every send is in the audit log, emails as texts (message.service.ts)
    await audit(tx, actorOf(scope.auth), [{
      churchId: message.churchId, entity: 'Message', entityId: message.id, action: 'send',
      changes: { channel: [null, 'email'], subject: [null, message.subject], body: [null, message.body], audience: [null, message.audience], recipientCount: [null, message.recipientCount], sendAt: [null, message.sendAt.toISOString()] },
    }]);
    return { message, toSend: rows.filter((r) => r.status === 'queued') };
  });
  const { message, toSend } = await insertWithPartition((ddl) => scope.db.execute(sql.raw(ddl)), write);
  const enqueued = await enqueueEmail(
    scope.smsQueue,
    toSend.map((r) => ({ recipientId: r.id, messageId: message.id, churchId: message.churchId, round: 0, sendAt: pl.sendAt })),
    scope.log,
  );
  scope.log.info({ messageId: message.id, recipients: toSend.length, enqueued, sendAt: pl.sendAt }, 'email queued');
  await invalidateMessaging(scope.cache, message.churchId, [message.id]);
  return message;
}

/** What the unsubscribe page and the one-click POST need: no viewer (the link is the proof). */
export interface EmailLinkScope {
  db: Db;
  cache: RedisTagStore | null;
  log: Logger;
  secret: string;
}

export interface UnsubscribePage {
  churchName: string;
  email: string;
  optedOut: boolean;
}

/** The state a link's person is in (the GET page); null: the link is not one of ours, or its person is gone. */
export async function unsubscribeState(scope: EmailLinkScope, token: unknown): Promise<UnsubscribePage | null> {
  const t = readUnsubscribeToken(scope.secret, token);
  if (!t) return null;
  const [church] = await scope.db.execute<{ name: string }>(sql`
    SELECT c.name FROM churches c JOIN members m ON m.church_id = c.id AND m.id = ${t.memberId} WHERE c.id = ${t.churchId}`);
  if (!church) return null;
  const consent = await e.emailConsentOf(scope.db, t.churchId, t.memberId);
  return { churchName: church.name, email: t.email, optedOut: Boolean(consent?.optedOutAt) };
}

/**
 * The link's POST: one-click (RFC 8058, from the mail client) or the page's button. Unsubscribe is
 * idempotent; resubscribe only from the page. Null: not a link of ours.
 */
export async function applyUnsubscribe(scope: EmailLinkScope, token: unknown, action: 'unsubscribe' | 'resubscribe', via: string): Promise<UnsubscribePage | null> {
  const t = readUnsubscribeToken(scope.secret, token);
  if (!t) return null;
  const changed = action === 'unsubscribe'
    ? await e.optOutEmail(scope.db, t.churchId, t.memberId, t.email, via)
    : await e.optInEmail(scope.db, t.churchId, t.memberId, via);
  if (changed) {
    scope.log.info({ churchId: t.churchId, memberId: t.memberId, action, via }, 'email consent changed');
    await invalidatePeople(scope.cache, t.churchId, [['Member', t.memberId]]);
  }
  return unsubscribeState(scope, token);
}

export interface EmailEvent {
  email: string;
  type: 'bounce' | 'complaint';
  /** a bounce: permanent (the default) marks the address; a transient one only the email */
  permanent: boolean;
  /** the Message-ID the email went out with, if the provider reports it */
  messageId: string | null;
  detail: string | null;
}

/** What recording a bounce or complaint needs: no viewer (the mail provider is not a user). */
export interface EmailEventScope {
  db: Db;
  smsQueue: Queue;
  cache: RedisTagStore | null;
  progress: { touch(messageId: number): void };
  log: Logger;
}

export interface EmailEventResult {
  email: string;
  /** what the address is marked now (null: not marked, e.g. a transient bounce) */
  suppressed: EmailSuppressionReason | null;
  /** the recipient the report named (by its Message-ID) turned undelivered */
  recipientId: number | null;
}

/**
 * Bounces and complaints from the mail provider (POST /webhooks/email/events): a permanent bounce
 * marks the address undeliverable, a complaint marks it complained, and every later send (of any
 * church) skips it; the email the report names (by Message-ID) turns undelivered. Idempotent: a
 * repeated report changes nothing more than the count on the address.
 */
export async function recordEmailEvents(scope: EmailEventScope, events: readonly EmailEvent[]): Promise<EmailEventResult[]> {
  const out: EmailEventResult[] = [];
  for (const ev of events) {
    const reason: EmailSuppressionReason | null = ev.type === 'complaint' ? 'complained' : ev.permanent ? 'undeliverable' : null;
    const suppressed = reason ? await e.suppressAddress(scope.db, ev.email, reason, ev.detail) : null;
    const bounced = ev.type === 'bounce' && ev.messageId ? await e.bounceRecipient(scope.db, ev.messageId, ev.email, ev.permanent ? 'bounce' : 'soft-bounce', ev.detail) : null;
    if (bounced) {
      scope.progress.touch(bounced.messageId);
      await invalidateMessaging(scope.cache, bounced.churchId, [bounced.messageId]);
    }
    scope.log.info({ type: ev.type, permanent: ev.permanent, suppressed, recipientId: bounced?.id ?? null }, 'email event recorded');
    out.push({ email: ev.email, suppressed, recipientId: bounced?.id ?? null });
  }
  return out;
}
