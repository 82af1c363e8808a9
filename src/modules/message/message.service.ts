import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { enqueueSms, sendJobOf } from '../../jobs/enqueue.js';
import { NO_EMAIL_SKIPS, previewEmail, sendEmail, smsOnly } from './email.service.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import type { AudienceInput, RecipientsArgs, SendMessageArgs } from './message.input.js';
import { checkAudienceAndSchedule, resolveAudience } from './audience.js';
import * as v from '../../lib/validate.js';
import * as q from './message.queries.js';
import { nextSendTime, parseWindow } from './quiet-hours.js';
import { countsByMessage } from './recipient.queries.js';
import { segmentsOf } from './segments.js';
import { invalidateMessaging } from '../../cache/invalidate.js';
import { insertWithPartition } from '../../db/partitions.js';
import { sql } from 'drizzle-orm';

export const BODY_MAX = 1600;

interface Plan {
  church: ChurchRow;
  body: string;
  audience: q.AudienceSpec;
  recipients: q.NewRecipient[];
  eligible: number;
  skipped: { optedOut: number; noPhone: number; sharedPhone: number };
  seg: ReturnType<typeof segmentsOf>;
  estimatedCost: number;
  sendAt: Date;
}

/**
 * Resolves the audience and decides, per person, who gets a text: consent first (a number any
 * holder opted out of is never texted), then one text per phone number (the household head first).
 */
async function plan(scope: Scope, churchId: string, body: string, input: AudienceInput, scheduleAt: Date | null | undefined, urgent: boolean): Promise<Plan> {
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'staff');
  const p = new Problems();
  if (typeof body !== 'string' || body.trim().length === 0) p.add('body', 'cannot be blank');
  else if (v.unstorable(body)) p.add('body', v.unstorable(body)!);
  else if ([...body].length > BODY_MAX) p.add('body', `must be at most ${BODY_MAX} characters`);
  checkAudienceAndSchedule(scope, p, input, scheduleAt);
  if (!church.smsFromNumber) p.add('churchId', 'this church has no SMS number yet (updateChurch smsFromNumber)');
  p.throwIfAny();
  const audience = await resolveAudience(scope, church.id, input);
  const limit = scope.config.sms.maxRecipients;
  const people = await q.audienceMembers(scope.db, church.id, audience, limit + 1);
  if (people.length > limit) throw new BadInputError({ field: 'audience', message: `reaches more than ${limit} people; split the send` });

  const blocked = new Set(people.filter((m) => m.optedOut && m.phone).map((m) => m.phone));
  const taken = new Set<string>();
  const skipped = { optedOut: 0, noPhone: 0, sharedPhone: 0 };
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
    return { memberId: m.id, phone: m.phone, status: 'queued', reason: null };
  });
  const seg = segmentsOf(body);
  const eligible = taken.size;
  const start = scheduleAt && scheduleAt.getTime() > scope.clock.now().getTime() ? scheduleAt : scope.clock.now();
  const window = parseWindow(scope.config.sms.window.start, scope.config.sms.window.end);
  const sendAt = urgent ? start : nextSendTime(start, church.timeZone, window);
  const estimatedCost = Math.round(eligible * seg.segments * scope.config.sms.pricePerSegment * 10_000) / 10_000;
  return { church, body, audience, recipients, eligible, skipped, seg, estimatedCost, sendAt };
}

export async function previewMessage({ scope, args }: { scope: Scope; args: SendMessageArgs }) {
  if (args.channel === 'email') return previewEmail({ scope, args });
  smsOnly(args);
  const pl = await plan(scope, args.churchId, args.body, args.audience, args.scheduleAt, args.urgent ?? false);
  return {
    encoding: pl.seg.encoding,
    segments: pl.seg.segments,
    characters: pl.seg.characters,
    remainingInSegment: pl.seg.remainingInSegment,
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
  const pl = await plan(scope, args.churchId, args.body, args.audience, args.scheduleAt, args.urgent ?? false);
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
      encoding: pl.seg.encoding,
      segments: pl.seg.segments,
      recipientCount: pl.eligible,
      skippedCount: pl.recipients.length - pl.eligible,
      estimatedCost: String(pl.estimatedCost),
      fromNumber: pl.church.smsFromNumber!,
    });
    const rows = await q.insertRecipients(tx, message, pl.recipients);
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
  const r = await q.cancelMessage(scope.db, m.id);
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
    lapsed: a.lapsed
      ? { eventId: a.lapsed.eventId, minAttendances: a.lapsed.minAttendances, previousFrom: new Date(a.lapsed.prevFrom), absentFrom: new Date(a.lapsed.absentFrom) }
      : null,
  };
}
