import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { enqueueSms, sendJobOf } from '../../jobs/enqueue.js';
import { NO_EMAIL_SKIPS, previewEmail, sendEmail, smsOnly } from './email.service.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import type { RecipientsArgs, SendMessageArgs } from './message.input.js';
import { checkAudienceAndSchedule, resolveAudience } from './audience.js';
import * as v from '../../lib/validate.js';
import * as q from './message.queries.js';
import { nextSendTime, parseWindow } from './quiet-hours.js';
import { countsByMessage } from './recipient.queries.js';
import { segmentsOf, type Encoding } from './segments.js';
import { hasFields, mergeValues, renderTemplate, validateTemplate } from './merge-fields.js';
import { checkCustomFields, customValues } from './custom-merge.js';
import { templateForSend } from './template.service.js';
import { invalidateMessaging } from '../../cache/invalidate.js';
import { insertWithPartition } from '../../db/partitions.js';
import { sql } from 'drizzle-orm';
import { actorOf, audit } from '../audit/audit.service.js';

export const BODY_MAX = 1600;

interface Plan {
  church: ChurchRow;
  body: string;
  audience: q.AudienceSpec;
  recipients: q.NewRecipient[];
  eligible: number;
  skipped: { optedOut: number; noPhone: number; sharedPhone: number };
  texts: TextRange;
  estimatedCost: number;
  sendAt: Date;
}

/** The texts a send would write, over its eligible recipients (merge fields filled). */
export interface TextRange {
  encoding: Encoding;
  minSegments: number;
  maxSegments: number;
  totalSegments: number;
  longest: string;
  shortest: string;
  /** recipients whose text needs UCS-2 (a name outside GSM-7 makes one text UCS-2, not the others) */
  ucs2Texts: number;
}

/**
 * Segments of each recipient's own text, from the rendered bodies. The audience is already in
 * memory (at most SMS_MAX_RECIPIENTS, loaded to decide consent and shared phones), so this is one
 * pass over it; texts repeat (shared first names) and are measured once each.
 */
export function rangeOf(texts: Iterable<string>): TextRange | null {
  const seen = new Map<string, ReturnType<typeof segmentsOf>>();
  let r: TextRange | null = null;
  let longestUnits = -1;
  let shortestUnits = Infinity;
  for (const t of texts) {
    let s = seen.get(t);
    if (!s) seen.set(t, (s = segmentsOf(t)));
    r ??= { encoding: 'gsm7', minSegments: Infinity, maxSegments: 0, totalSegments: 0, longest: t, shortest: t, ucs2Texts: 0 };
    r.totalSegments += s.segments;
    if (s.encoding === 'ucs2') {
      r.ucs2Texts++;
      r.encoding = 'ucs2';
    }
    // ordered by segments, then by length in the encoding's units
    const weight = s.segments * 1000 + s.units;
    if (weight > longestUnits) [longestUnits, r.longest, r.maxSegments] = [weight, t, s.segments];
    if (weight < shortestUnits) [shortestUnits, r.shortest, r.minSegments] = [weight, t, s.segments];
  }
  return r;
}

/**
 * Resolves the audience and decides, per person, who gets a text: consent first (a number any
 * holder opted out of is never texted), then one text per phone number (the household head first).
 */
async function plan(scope: Scope, args: SendMessageArgs): Promise<Plan> {
  const { churchId, audience: input, scheduleAt } = args;
  const urgent = args.urgent ?? false;
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'staff');
  const p = new Problems();
  if (args.templateId != null && args.body != null) p.add('templateId', 'give either body or templateId, not both');
  if (args.templateId == null && args.body == null) p.add('body', 'is required (or templateId)');
  p.throwIfAny();
  // a saved template of this church (an archived or another church's one is NOT_FOUND)
  const body = args.templateId != null ? (await templateForSend(scope, church.id, args.templateId, 'sms')).body : args.body!;
  if (typeof body !== 'string' || body.trim().length === 0) p.add('body', 'cannot be blank');
  else if (v.unstorable(body)) p.add('body', v.unstorable(body)!);
  else if ([...body].length > BODY_MAX) p.add('body', `must be at most ${BODY_MAX} characters`);
  checkAudienceAndSchedule(scope, p, input, scheduleAt);
  if (!church.smsFromNumber) p.add('churchId', 'this church has no SMS number yet (updateChurch smsFromNumber)');
  p.throwIfAny();
  const bodyField = args.templateId != null ? 'templateId' : 'body';
  const template = validateTemplate(body, bodyField);
  // {field.<key>}: the church's fields, checked before the audience is read
  const custom = await checkCustomFields(scope.db, church.id, [{ parsed: template, field: bodyField }]);
  const { spec: audience, lists } = await resolveAudience(scope, church.id, input);
  const limit = scope.config.sms.maxRecipients;
  const people = await q.audienceMembers(scope.db, church.id, audience, limit + 1, lists);
  if (people.length > limit) throw new BadInputError({ field: 'audience', message: `reaches more than ${limit} people; split the send` });

  const blocked = new Set(people.filter((m) => m.optedOut && m.phone).map((m) => m.phone));
  const taken = new Set<string>();
  const skipped = { optedOut: 0, noPhone: 0, sharedPhone: 0 };
  // the custom values of everyone who may get a text, in bulk (no statement per recipient)
  const values = custom.size ? await customValues(scope.db, church.id, people.filter((m) => m.phone && !m.optedOut).map((m) => m.id), custom) : null;
  const none = new Map<string, string>();
  const recipients: q.NewRecipient[] = people.map((m) => {
    if (m.optedOut || (m.phone && blocked.has(m.phone))) {
      skipped.optedOut++;
      return { memberId: m.id, phone: m.phone, status: 'skipped', reason: 'opted_out' };
    }
    if (!m.phone) {
      skipped.noPhone++;
      return { memberId: m.id, phone: null, status: 'skipped', reason: 'no_phone' };
    }
    if (taken.has(m.phone)) {
      skipped.sharedPhone++;
      return { memberId: m.id, phone: m.phone, status: 'skipped', reason: 'shared_phone' };
    }
    taken.add(m.phone);
    // each person's own words; a body without fields is stored once, on the message
    const text = hasFields(template) ? renderTemplate(template.parts, mergeValues(m, church.name, values?.get(m.id) ?? none)) : null;
    return { memberId: m.id, phone: m.phone, status: 'queued', reason: null, body: text };
  });
  const eligible = taken.size;
  const sent = recipients.filter((r) => r.status === 'queued').map((r) => r.body ?? body);
  // nobody to text: the template as it reads with the church's name and no person's
  const texts = rangeOf(sent) ?? rangeOf([renderTemplate(template.parts, mergeValues(null, church.name))])!;
  if (!sent.length) texts.totalSegments = 0;
  const start = scheduleAt && scheduleAt.getTime() > scope.clock.now().getTime() ? scheduleAt : scope.clock.now();
  const window = parseWindow(scope.config.sms.window.start, scope.config.sms.window.end);
  const sendAt = urgent ? start : nextSendTime(start, church.timeZone, window);
  const estimatedCost = Math.round(texts.totalSegments * scope.config.sms.pricePerSegment * 10_000) / 10_000;
  return { church, body, audience, recipients, eligible, skipped, texts, estimatedCost, sendAt };
}

export async function previewMessage({ scope, args }: { scope: Scope; args: SendMessageArgs }) {
  if (args.channel === 'email') return previewEmail({ scope, args });
  smsOnly(args);
  const pl = await plan(scope, args);
  const longest = segmentsOf(pl.texts.longest);
  return {
    body: pl.body,
    subject: null,
    encoding: pl.texts.encoding,
    segments: pl.texts.maxSegments,
    segmentRange: { min: pl.texts.minSegments, max: pl.texts.maxSegments },
    longestText: pl.texts.longest,
    shortestText: pl.texts.shortest,
    ucs2Texts: pl.texts.ucs2Texts,
    totalSegments: pl.texts.totalSegments,
    characters: longest.characters,
    remainingInSegment: longest.remainingInSegment,
    audienceCount: pl.recipients.length,
    recipientCount: pl.eligible,
    skipped: { ...NO_EMAIL_SKIPS, ...pl.skipped },
    channel: 'sms' as const,
    estimatedCost: pl.estimatedCost,
    sendAt: pl.sendAt,
  };
}

/**
 * The outbox: the message and one row per recipient commit together; the jobs are added in bulk
 * after the commit. If Redis is unavailable then, the mutation still answers (within the enqueue
 * timeout) and the worker's sweeper enqueues the queued rows later.
 */
export async function sendMessage({ scope, args }: { scope: Scope; args: SendMessageArgs }) {
  if (args.channel === 'email') return sendEmail({ scope, args });
  smsOnly(args);
  const pl = await plan(scope, args);
  if (pl.eligible === 0) throw new BadInputError({ field: 'audience', message: 'nobody in this audience can receive texts' });
  const viewer = requireViewer(scope.auth);
  const write = () => scope.db.transaction(async (tx) => {
    const message = await q.insertMessage(tx, {
      churchId: pl.church.id,
      authorId: viewer.userId,
      body: pl.body,
      audience: pl.audience,
      status: pl.sendAt.getTime() > scope.clock.now().getTime() + 1000 ? 'scheduled' : 'sending',
      urgent: args.urgent ?? false,
      scheduledAt: args.scheduleAt ?? null,
      sendAt: pl.sendAt,
      encoding: pl.texts.encoding,
      segments: pl.texts.maxSegments,
      recipientCount: pl.eligible,
      skippedCount: pl.recipients.length - pl.eligible,
      estimatedCost: String(pl.estimatedCost),
      fromNumber: pl.church.smsFromNumber!,
    });
    const rows = await q.insertRecipients(tx, message, pl.recipients);
    await audit(tx, actorOf(scope.auth), [{
      churchId: message.churchId, entity: 'Message', entityId: message.id, action: 'send',
      changes: { body: [null, message.body], audience: [null, message.audience], recipientCount: [null, message.recipientCount], sendAt: [null, message.sendAt.toISOString()] },
    }]);
    // numbers with a conversation in the inbox see this text in their thread
    await q.linkToConversations(tx, message.id);
    return { message, toSend: rows.filter((r) => r.status === 'queued') };
  });
  // no partition for this month yet (src/db/partitions.ts): made, and the message written again
  const { message, toSend } = await insertWithPartition((ddl) => scope.db.execute(sql.raw(ddl)), write);
  const enqueued = await enqueueSms(
    scope.smsQueue,
    toSend.map((r) => ({ recipientId: r.id, messageId: message.id, churchId: message.churchId, round: 0, sendAt: pl.sendAt })),
    scope.log,
  );
  scope.log.info({ messageId: message.id, recipients: toSend.length, enqueued, sendAt: pl.sendAt }, 'message queued');
  await invalidateMessaging(scope.cache, message.churchId, [message.id]);
  return message;
}

export async function getMessage({ scope, id }: { scope: Scope; id: string }) {
  requireViewer(scope.auth);
  const messageId = parseId(id, 'Message');
  const m = await scope.loaders.message.load(messageId);
  if (!m) throw new NotFoundError('Message', messageId);
  return m;
}

export async function cancel({ scope, id }: { scope: Scope; id: string }) {
  const m = await getMessage({ scope, id });
  requireChurchRole(scope.auth, m.churchId, 'staff', 'id');
  const r = await scope.db.transaction(async (tx) => {
    const c = await q.cancelMessage(tx, m.id);
    if (c) {
      await audit(tx, actorOf(scope.auth), [{
        churchId: m.churchId, entity: 'Message', entityId: m.id, action: 'cancel',
        changes: { status: [c.status, 'cancelled'], recipientsCancelled: [null, c.cancelled] },
      }]);
    }
    return c;
  });
  if (!r) throw new BadInputError({ field: 'id', message: `a ${m.status} message cannot be cancelled` });
  // best effort: a job left behind finds its recipient cancelled and sends nothing
  await Promise.allSettled(r.jobs.map((j) => scope.smsQueue.remove(sendJobOf(m.channel).jobId({ recipientId: j.id, messageId: m.id, churchId: m.churchId, round: j.attempts }))));
  scope.progress.touch(m.id);
  scope.loaders.message.clear(m.id);
  return getMessage({ scope, id });
}

export async function listMessages({ scope, church, first: f, after: a }: { scope: Scope; church: ChurchRow; first?: number; after?: string }) {
  requireChurchRole(scope.auth, church.id, 'viewer');
  const first = pageSize(f);
  const after = cursorKeys(a, 'MESSAGE', ['number']);
  const rows = first === 0 ? [] : await q.pageMessages(scope.db, church.id, first + 1, after?.[0]);
  for (const m of rows) scope.loaders.message.prime(m.id, m);
  return toConnection(rows, first, after !== undefined, cursorEdge('MESSAGE', (m: q.MessageRow) => [m.id]), () => q.countMessages(scope.db, church.id));
}

export async function listRecipients({ scope, message, args }: { scope: Scope; message: q.MessageRow; args: RecipientsArgs }) {
  requireChurchRole(scope.auth, message.churchId, 'viewer');
  const first = pageSize(args.first);
  const after = cursorKeys(args.after, 'RECIPIENT', ['number']);
  const status = args.status ?? undefined;
  const rows = first === 0 ? [] : await q.pageRecipients(scope.db, message.id, first + 1, after?.[0], status);
  return toConnection(rows, first, after !== undefined, cursorEdge('RECIPIENT', (r: q.RecipientRow) => [r.id]), async () => {
    const c = (await countsByMessage(scope.db, [message.id])).get(message.id)!;
    return status ? c[status] : c.total;
  });
}

export function audienceOf(m: q.MessageRow) {
  const a = m.audience as q.AudienceSpec;
  return {
    everyone: a.everyone,
    statuses: a.statuses,
    groupIds: a.groupIds,
    memberIds: a.memberIds,
    smartListIds: a.smartListIds ?? [],
    lapsed: a.lapsed
      ? { eventId: a.lapsed.eventId, minAttendances: a.lapsed.minAttendances, previousFrom: new Date(a.lapsed.prevFrom), absentFrom: new Date(a.lapsed.absentFrom) }
      : null,
  };
}

/**
 * One text to one number through the same outbox, queue and worker as a send (the inbox's reply):
 * the message and its recipient row commit with whatever `alsoInTx` writes, then the job is
 * enqueued (or left to the sweeper). Quiet hours apply unless urgent; a number that opted out is
 * refused here, and the worker checks it again before sending. The body is sent as written.
 */
export async function sendOneText<T>(
  scope: Scope,
  t: { church: ChurchRow; phone: string; memberId: number | null; body: string; urgent: boolean; field: string },
  alsoInTx: (tx: Parameters<Parameters<Scope['db']['transaction']>[0]>[0], message: q.MessageRow, recipientId: number) => Promise<T>,
): Promise<{ message: q.MessageRow; result: T }> {
  const viewer = requireViewer(scope.auth);
  const p = new Problems();
  if (typeof t.body !== 'string' || t.body.trim().length === 0) p.add(t.field, 'cannot be blank');
  else if (v.unstorable(t.body)) p.add(t.field, v.unstorable(t.body)!);
  else if ([...t.body].length > BODY_MAX) p.add(t.field, `must be at most ${BODY_MAX} characters`);
  if (!t.church.smsFromNumber) p.add('id', 'this church has no SMS number yet (updateChurch smsFromNumber)');
  p.throwIfAny();
  if (await q.phoneOptedOut(scope.db, t.church.id, t.phone)) {
    throw new BadInputError({ field: 'id', message: 'this number opted out of texts (STOP); only the person can opt back in (START)' });
  }
  const now = scope.clock.now();
  const window = parseWindow(scope.config.sms.window.start, scope.config.sms.window.end);
  const sendAt = t.urgent ? now : nextSendTime(now, t.church.timeZone, window);
  const seg = segmentsOf(t.body);
  const write = () =>
    scope.db.transaction(async (tx) => {
      const message = await q.insertMessage(tx, {
        churchId: t.church.id,
        authorId: viewer.userId,
        body: t.body,
        audience: { everyone: false, statuses: [], groupIds: [], memberIds: t.memberId ? [t.memberId] : [] } satisfies q.AudienceSpec,
        status: sendAt.getTime() > now.getTime() + 1000 ? 'scheduled' : 'sending',
        urgent: t.urgent,
        scheduledAt: null,
        sendAt,
        encoding: seg.encoding,
        segments: seg.segments,
        recipientCount: 1,
        skippedCount: 0,
        estimatedCost: String(Math.round(seg.segments * scope.config.sms.pricePerSegment * 10_000) / 10_000),
        fromNumber: t.church.smsFromNumber!,
      });
      const [row] = await q.insertRecipients(tx, message, [{ memberId: t.memberId, phone: t.phone, status: 'queued', reason: null }]);
      // a one-person text (a reply in the inbox) is a send like any other
      await audit(tx, actorOf(scope.auth), [{
        churchId: message.churchId, entity: 'Message', entityId: message.id, action: 'send',
        changes: { body: [null, message.body], phone: [null, t.phone], memberId: [null, t.memberId], recipientCount: [null, 1], sendAt: [null, message.sendAt.toISOString()] },
      }]);
      return { message, recipientId: row!.id, result: await alsoInTx(tx, message, row!.id) };
    });
  const { message, recipientId, result } = await insertWithPartition((ddl) => scope.db.execute(sql.raw(ddl)), write);
  await enqueueSms(scope.smsQueue, [{ recipientId, messageId: message.id, churchId: message.churchId, round: 0, sendAt }], scope.log);
  scope.log.info({ messageId: message.id, sendAt }, 'reply queued');
  await invalidateMessaging(scope.cache, message.churchId, [message.id]);
  return { message, result };
}
