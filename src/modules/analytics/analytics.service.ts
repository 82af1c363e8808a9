import type { Scope } from '../scope.js';
import { Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { parseId } from '../../lib/ids.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import { getChurch } from '../church/church.service.js';
import { AnalyticsPreset, type AnalyticsPeriodInput } from './analytics.input.js';
import * as q from './analytics.queries.js';
import type { Analytics, AnalyticsPeriod } from './analytics.type.js';

/** The longest custom period: 5 years keeps the monthly series at 61 rows at most. */
export const MAX_PERIOD_YEARS = 5;

// Calendar arithmetic on YYYY-MM-DD strings, in UTC so no zone or DST shifts a day.
const parse = (d: string) => new Date(`${d}T00:00:00Z`);
const format = (d: Date) => d.toISOString().slice(0, 10);
function addDays(d: string, n: number): string {
  const t = parse(d);
  t.setUTCDate(t.getUTCDate() + n);
  return format(t);
}
function firstOfMonth(d: string, monthsBack: number): string {
  const t = parse(d);
  return format(new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() - monthsBack, 1)));
}
function addYears(d: string, n: number): string {
  const t = parse(d);
  // Feb 29 + 1 year rolls over to Mar 1
  return format(new Date(Date.UTC(t.getUTCFullYear() + n, t.getUTCMonth(), t.getUTCDate())));
}

/**
 * The period asked for, as inclusive calendar dates. `today` is today in the church's zone, so
 * "the last 30 days" of a church in Auckland and one in Chicago may end on different dates.
 */
export function resolvePeriod(input: AnalyticsPeriodInput | null | undefined, today: string): Omit<AnalyticsPeriod, 'timeZone'> {
  const p = new Problems();
  const preset = input?.preset ?? null;
  const given = { from: input?.from ?? null, to: input?.to ?? null };
  if (preset && (given.from !== null || given.to !== null)) {
    p.add('period', 'give either a preset or from and to, not both');
    p.throwIfAny();
  }
  if (given.from === null && given.to === null) {
    const chosen = preset ?? AnalyticsPreset.LAST_30_DAYS;
    const from = {
      [AnalyticsPreset.LAST_30_DAYS]: () => addDays(today, -29),
      [AnalyticsPreset.LAST_90_DAYS]: () => addDays(today, -89),
      [AnalyticsPreset.LAST_12_MONTHS]: () => firstOfMonth(today, 11),
      [AnalyticsPreset.YEAR_TO_DATE]: () => `${today.slice(0, 4)}-01-01`,
    }[chosen]();
    return { preset: chosen, from, to: today };
  }
  if (given.from === null) p.add('period.from', 'is required with period.to');
  if (given.to === null) p.add('period.to', 'is required with period.from');
  const from = v.isoDate(p, 'period.from', given.from);
  const to = v.isoDate(p, 'period.to', given.to);
  p.throwIfAny();
  if (from! > to!) p.add('period.to', 'must not be before period.from');
  else if (to! > addYears(from!, MAX_PERIOD_YEARS)) p.add('period', `can span at most ${MAX_PERIOD_YEARS} years`);
  p.throwIfAny();
  return { preset: null, from: from!, to: to! };
}

/** The parts of the dashboard a request asks for (its selection on Analytics). */
export type AnalyticsField = keyof Analytics;
const PEOPLE: readonly AnalyticsField[] = ['newMembers', 'firstTimeVisitors', 'returningVisitors', 'households', 'groupParticipation'];
const DATED: readonly AnalyticsField[] = [...PEOPLE, 'period', 'monthly', 'messaging'];

/** What an answer holds: the parts asked for (a field not asked is never resolved). */
export type AnalyticsAnswer = Pick<Analytics, 'churchId'> & Partial<Analytics>;

/**
 * The dashboard of one church: VIEWER or above. Only the parts asked for are computed, each part
 * one statement, run side by side: people by status alone (an index-only count), or the people
 * pass when any other people figure is asked (it counts the statuses too); the monthly series;
 * messaging. The church row is read only when the period needs its time zone, or to tell a
 * church the viewer has no role in from one that does not exist. `asked` undefined: everything.
 */
export async function getAnalytics({
  scope,
  churchId,
  period,
  asked,
}: {
  scope: Scope;
  churchId: string;
  period?: AnalyticsPeriodInput | null;
  asked?: ReadonlySet<string>;
}): Promise<AnalyticsAnswer> {
  const wants = (f: AnalyticsField) => !asked || asked.has(f);
  const viewer = requireViewer(scope.auth);
  const id = parseId(churchId, 'Church', 'churchId');
  const dated = Boolean(period) || DATED.some(wants);
  // a role in the church proves it exists; anyone else learns NOT_FOUND or FORBIDDEN from the row
  const church = dated || !viewer.roles.has(id) ? await getChurch({ scope, id, field: 'churchId' }) : null;
  requireChurchRole(scope.auth, id, 'viewer');
  const range = church ? resolvePeriod(period, v.todayIn(church.timeZone)) : null;
  const people = PEOPLE.some(wants);
  const [totals, statuses, months, texts] = await Promise.all([
    people ? q.memberTotals(scope.db, id, range!) : null,
    !people && wants('membersByStatus') ? q.statusCounts(scope.db, id) : null,
    wants('monthly') ? q.monthlyGrowth(scope.db, id, range!) : null,
    wants('messaging') ? q.messagingTotals(scope.db, id, range!, church!.timeZone) : null,
  ]);
  const out: AnalyticsAnswer = { churchId: id };
  if (range && church) out.period = { ...range, timeZone: church.timeZone };
  const counts = totals ?? statuses;
  if (counts) out.membersByStatus = { visitor: counts.visitor, regular: counts.regular, member: counts.member, inactive: counts.inactive, total: counts.total };
  if (totals) {
    out.newMembers = totals.newMembers;
    out.firstTimeVisitors = totals.firstTimeVisitors;
    out.returningVisitors = totals.returningVisitors;
    out.households = totals.households;
    out.groupParticipation = {
      activeMembers: totals.activeMembers,
      inGroups: totals.inGroups,
      share: totals.activeMembers ? totals.inGroups / totals.activeMembers : 0,
    };
  }
  if (months) out.monthly = months.map((m) => ({ ...m, netGrowth: m.joined - m.inactivated }));
  if (texts) out.messaging = { ...messagingStats(texts), byChannel: texts.byChannel.map((c) => ({ channel: c.channel, ...messagingStats(c) })) };
  return out;
}

/** The figures as the API gives them: the delivery rate of known outcomes, the cost rounded. */
function messagingStats(t: q.MessagingTotals) {
  const outcomes = t.delivered + t.failed;
  return {
    messages: t.messages,
    recipients: t.recipients,
    textsSent: t.textsSent,
    delivered: t.delivered,
    failed: t.failed,
    unconfirmed: t.unconfirmed,
    deliveryRate: outcomes ? t.delivered / outcomes : null,
    segments: t.segments,
    estimatedCost: Math.round(Number(t.estimatedCost) * 10_000) / 10_000,
  };
}
