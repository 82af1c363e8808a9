import type { Job } from 'bullmq';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { tags } from '../../cache/tags.js';
import { entityTag } from '../../cache/tag-store.js';
import { churches, messageRecipients } from '../../db/schema/index.js';
import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { sendSmsJob } from '../../jobs/definitions/send-sms.js';
import { sendEmailJob } from '../../jobs/definitions/send-email.js';
import { AppError, BadInputError } from '../../lib/errors.js';
import { requeueFailed } from '../message/recipient.queries.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requirePlatformAdmin } from '../viewer.js';
import { HealthStatus } from './ops.type.js';
import { countWorkerProcesses } from './worker-count.js';
import { FAILED_STATUSES, statusList } from '../../delivery/status.js';

export const FAILED_PAGE_MAX = 50;
export const RETRY_MAX = 1000;
/** A waiting job older than this makes the queue DEGRADED. */
const STALE_WAITING_S = 300;

export const maskPhone = (phone: string | null | undefined) => (phone ? `•••${phone.slice(-4)}` : null);
/** An address shown to operators: its first letter and its domain. */
export const maskEmail = (email: string | null | undefined) => (email ? `${email.slice(0, 1)}•••${email.slice(email.lastIndexOf('@'))}` : null);
/** Provider messages quote the number ("The 'To' number +1312… is not valid"): keep its last digits only. */
export const maskPhonesIn = (text: string) => text.replace(/\+?\d[\d\s().-]{5,}\d/g, (m) => `•••${m.replace(/\D/g, '').slice(-4)}`);

function queueUnavailable(e: unknown): never {
  throw new AppError('SERVICE_UNAVAILABLE', `The queue's Redis is not answering: ${(e as Error).message}`, { retryable: true });
}

export async function queueMetrics({ scope }: { scope: Scope }) {
  requirePlatformAdmin(scope.auth);
  const q = scope.smsQueue;
  try {
    const [counts, paused, workers, oldest, sent] = await Promise.all([
      q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed'),
      q.isPaused(),
      q.getWorkers().then((connections) => countWorkerProcesses(connections)),
      q.getJobs(['waiting'], 0, 0, true),
      scope.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM message_recipients WHERE sent_at > now() - interval '1 minute'`),
    ]);
    const first = oldest[0] as Job | undefined;
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      paused,
      workers,
      oldestWaitingSeconds: first ? Math.max(0, Math.round((scope.clock.now().getTime() - first.timestamp) / 1000)) : null,
      sentLastMinute: sent[0]?.n ?? 0,
    };
  } catch (e) {
    if (e instanceof AppError) throw e;
    return queueUnavailable(e);
  }
}

export async function queueHealth({ scope }: { scope: Scope }) {
  requirePlatformAdmin(scope.auth);
  const started = performance.now();
  let m: Awaited<ReturnType<typeof queueMetrics>>;
  try {
    m = await queueMetrics({ scope });
  } catch (e) {
    return { status: HealthStatus.DOWN, reasons: [(e as Error).message], latencyMs: null };
  }
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  const reasons: string[] = [];
  if (m.paused) reasons.push('the queue is paused');
  if (m.workers === 0) reasons.push('no worker is connected');
  if (m.oldestWaitingSeconds !== null && m.oldestWaitingSeconds > STALE_WAITING_S) reasons.push(`the oldest waiting text has waited ${m.oldestWaitingSeconds} s`);
  if (m.failed > 0) reasons.push(`${m.failed} failed jobs`);
  const down = m.workers === 0 && m.waiting > 0;
  return { status: down ? HealthStatus.DOWN : reasons.length ? HealthStatus.DEGRADED : HealthStatus.OK, reasons, latencyMs };
}

async function describeJobs(scope: Scope, jobs: Job[]) {
  const payloads = jobs.map((j) => sendSmsJob.payload.safeParse(j.data));
  const recipientIds = payloads.flatMap((p) => (p.success ? [p.data.recipientId] : []));
  const churchIds = [...new Set(payloads.flatMap((p) => (p.success ? [p.data.churchId] : [])))];
  const [recipients, names] = await Promise.all([
    recipientIds.length
      ? scope.db
          .select({ id: messageRecipients.id, phone: messageRecipients.phone, email: messageRecipients.email })
          .from(messageRecipients)
          .where(inArray(messageRecipients.id, recipientIds))
      : [],
    churchIds.length ? scope.db.select({ id: churches.id, name: churches.name }).from(churches).where(inArray(churches.id, churchIds)) : [],
  ]);
  const phone = new Map(recipients.map((r) => [r.id, r.phone]));
  const email = new Map(recipients.map((r) => [r.id, r.email]));
  const name = new Map(names.map((c) => [c.id, c.name]));
  return jobs.map((j, i) => {
    const p = payloads[i]!;
    const data = p.success ? p.data : { recipientId: 0, messageId: 0, churchId: 0 };
    return {
      id: String(j.id),
      recipientId: data.recipientId,
      messageId: data.messageId,
      churchId: data.churchId,
      churchName: name.get(data.churchId) ?? null,
      channel: j.name === sendEmailJob.name ? ('email' as const) : ('sms' as const),
      phone: maskPhone(phone.get(data.recipientId)),
      email: maskEmail(email.get(data.recipientId)),
      error: maskPhonesIn(j.failedReason ?? 'unknown'),
      attempts: j.attemptsMade,
      failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
    };
  });
}

export async function failedJobs({ scope, limit, offset }: { scope: Scope; limit: number; offset: number }) {
  requirePlatformAdmin(scope.auth);
  if (!Number.isInteger(limit) || limit < 1 || limit > FAILED_PAGE_MAX) throw new BadInputError({ field: 'limit', message: `must be 1-${FAILED_PAGE_MAX}` });
  if (!Number.isInteger(offset) || offset < 0 || offset > 1_000_000) throw new BadInputError({ field: 'offset', message: 'must be 0 or more' });
  try {
    const [jobs, total] = await Promise.all([scope.smsQueue.getFailed(offset, offset + limit - 1), scope.smsQueue.getFailedCount()]);
    return { total, jobs: await describeJobs(scope, jobs as Job[]) };
  } catch (e) {
    if (e instanceof AppError) throw e;
    return queueUnavailable(e);
  }
}

/**
 * Sends failed texts again: each recipient still failed (and never accepted by the provider) is
 * queued again and its job retried with fresh attempts. Anything else is left alone, with why.
 */
export async function retryFailedJobs({ scope, ids, all, limit }: { scope: Scope; ids?: string[] | null; all?: boolean | null; limit: number }) {
  requirePlatformAdmin(scope.auth);
  if (!Number.isInteger(limit) || limit < 1 || limit > RETRY_MAX) throw new BadInputError({ field: 'limit', message: `must be 1-${RETRY_MAX}` });
  if (!all && !ids?.length) throw new BadInputError({ field: 'ids', message: 'give job ids, or all: true' });
  if (all && ids?.length) throw new BadInputError({ field: 'all', message: 'give either ids or all, not both' });
  if (ids && ids.length > limit) throw new BadInputError({ field: 'ids', message: `at most ${limit} at a time` });
  const skipped: Array<{ id: string; reason: string }> = [];
  let jobs: Job[];
  try {
    if (all) jobs = (await scope.smsQueue.getFailed(0, limit - 1)) as Job[];
    else {
      const found = await Promise.all(ids!.map((id) => scope.smsQueue.getJob(id)));
      jobs = [];
      found.forEach((j, i) => (j ? jobs.push(j as Job) : skipped.push({ id: ids![i]!, reason: 'no such job (removed or never existed)' })));
    }
    const states = await Promise.all(jobs.map((j) => j.getState()));
    const failed = jobs.filter((j, i) => {
      if (states[i] !== 'failed') skipped.push({ id: String(j.id), reason: `not failed (${states[i]}): nothing to do` });
      return states[i] === 'failed';
    });
    const byRecipient = new Map(failed.map((j) => [(j.data as { recipientId: number }).recipientId, j]));
    const requeued = new Set(await requeueFailed(scope.db, [...byRecipient.keys()]));
    let retried = 0;
    for (const [recipientId, job] of byRecipient) {
      if (!requeued.has(recipientId)) {
        skipped.push({ id: String(job.id), reason: 'its recipient is no longer failed (or reached the provider): not sent again' });
        continue;
      }
      await job.retry('failed', { resetAttemptsMade: true });
      retried++;
    }
    scope.log.info({ retried, skipped: skipped.length }, 'operator retried failed sends');
    return { retried, skipped };
  } catch (e) {
    if (e instanceof AppError) throw e;
    return queueUnavailable(e);
  }
}

export async function clearFailedJobs({ scope, olderThan }: { scope: Scope; olderThan?: Date | null }) {
  requirePlatformAdmin(scope.auth);
  const grace = olderThan ? Math.max(0, scope.clock.now().getTime() - olderThan.getTime()) : 0;
  try {
    let removed = 0;
    // bounded batches: clean() removes at most `limit` per call
    for (let i = 0; i < 100; i++) {
      const n = (await scope.smsQueue.clean(grace, 1000, 'failed')).length;
      removed += n;
      if (n < 1000) break;
    }
    return removed;
  } catch (e) {
    return queueUnavailable(e);
  }
}

export async function setPaused({ scope, paused }: { scope: Scope; paused: boolean }) {
  const viewer = requirePlatformAdmin(scope.auth);
  try {
    if (paused) await scope.smsQueue.pause();
    else await scope.smsQueue.resume();
  } catch (e) {
    queueUnavailable(e);
  }
  scope.log.warn({ by: viewer.userId, paused }, paused ? 'SMS queue paused' : 'SMS queue resumed');
  return queueMetrics({ scope });
}

function requireCache(scope: Scope) {
  if (!scope.cache) throw new AppError('SERVICE_UNAVAILABLE', 'The response cache is turned off (CACHE_ENABLED=false)');
  return scope.cache;
}

export async function cacheMetrics({ scope }: { scope: Scope }) {
  requirePlatformAdmin(scope.auth);
  try {
    return await requireCache(scope).metrics.read();
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('SERVICE_UNAVAILABLE', `The cache Redis is not answering: ${(e as Error).message}`, { retryable: true });
  }
}

export async function cacheHealth({ scope }: { scope: Scope }) {
  requirePlatformAdmin(scope.auth);
  if (!scope.cache) return { status: HealthStatus.DOWN, reasons: ['the response cache is turned off'], latencyMs: null };
  const started = performance.now();
  try {
    await scope.cache.redis.ping();
  } catch (e) {
    return { status: HealthStatus.DOWN, reasons: [`the cache Redis is not answering: ${(e as Error).message}`], latencyMs: null };
  }
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  const reasons: string[] = [];
  if (latencyMs > 50) reasons.push(`slow: ${latencyMs} ms round trip`);
  if (scope.cache.pendingInvalidations > 0) reasons.push(`${scope.cache.pendingInvalidations} invalidations waiting to be replayed`);
  return { status: reasons.length ? HealthStatus.DEGRADED : HealthStatus.OK, reasons, latencyMs };
}

export async function resetCacheMetrics({ scope }: { scope: Scope }) {
  requirePlatformAdmin(scope.auth);
  await requireCache(scope).metrics.reset();
  return true;
}

/** Drops a church's cached answers, or every cached answer containing a type. Returns how many. */
export async function invalidateCache({ scope, churchId, typename }: { scope: Scope; churchId?: string | null; typename?: string | null }) {
  requirePlatformAdmin(scope.auth);
  const cache = requireCache(scope);
  if (!churchId === !typename) throw new BadInputError({ field: 'churchId', message: 'give exactly one of churchId or typename' });
  if (churchId) {
    const church = await getChurch({ scope, id: churchId, field: 'churchId' });
    return cache.invalidateTags([tags.roster(church.id), tags.analytics(church.id), entityTag('Church', String(church.id))]);
  }
  if (!/^[A-Z][A-Za-z0-9_]{0,63}$/.test(typename!)) throw new BadInputError({ field: 'typename', message: 'is not a GraphQL type name' });
  return cache.invalidateTags([entityTag(typename!)]);
}

/** A church's failed texts and emails, for its ADMINs and OWNERs (newest first; channel on each). */
export async function failedSends({ scope, churchId, first: f, after: a }: { scope: Scope; churchId: string; first?: number; after?: string }) {
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'admin');
  const first = pageSize(f);
  const after = cursorKeys(a, 'FAILED', ['number']);
  const rows = first === 0
    ? []
    : await scope.db
        .select()
        .from(messageRecipients)
        .where(
          and(
            eq(messageRecipients.churchId, church.id),
            inArray(messageRecipients.status, [...FAILED_STATUSES]),
            after ? lt(messageRecipients.id, after[0]) : undefined,
          ),
        )
        .orderBy(desc(messageRecipients.id))
        .limit(first + 1);
  return toConnection(
    rows.map((r) => ({ ...r, phone: maskPhone(r.phone), email: maskEmail(r.email), errorMessage: r.errorMessage && maskPhonesIn(r.errorMessage) })),
    first,
    after !== undefined,
    cursorEdge('FAILED', (r: { id: number }) => [r.id]),
    async () => {
      const [n] = await scope.db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM message_recipients WHERE church_id = ${church.id} AND status IN ${statusList(FAILED_STATUSES)}`,
      );
      return n?.n ?? 0;
    },
  );
}
