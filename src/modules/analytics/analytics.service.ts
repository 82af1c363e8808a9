import type { Scope } from '../scope.js';
import { Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { requireChurchRole } from '../viewer.js';
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

/**
 * The dashboard of one church: VIEWER or above. Three statements, run side by side: people
 * (counts, visitors, households, groups), the monthly series and messaging.
 */
export async function getAnalytics({
  scope,
  churchId,
  period,
}: {
  scope: Scope;
  churchId: string;
  period?: AnalyticsPeriodInput | null;
}): Promise<Analytics> {
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'viewer');
  const range = resolvePeriod(period, v.todayIn(church.timeZone));
  const [people, months, texts] = await Promise.all([
    q.memberTotals(scope.db, church.id, range),
    q.monthlyGrowth(scope.db, church.id, range),
    q.messagingTotals(scope.db, church.id, range, church.timeZone),
  ]);
  const outcomes = texts.delivered + texts.failed;
  return {
    churchId: church.id,
    period: { ...range, timeZone: church.timeZone },
    membersByStatus: {
      visitor: people.visitor,
      regular: people.regular,
      member: people.member,
      inactive: people.inactive,
      total: people.total,
    },
    newMembers: people.newMembers,
    firstTimeVisitors: people.firstTimeVisitors,
    returningVisitors: people.returningVisitors,
    monthly: months.map((m) => ({ ...m, netGrowth: m.joined - m.inactivated })),
    households: people.households,
    groupParticipation: {
      activeMembers: people.activeMembers,
      inGroups: people.inGroups,
      share: people.activeMembers ? people.inGroups / people.activeMembers : 0,
    },
    messaging: {
      messages: texts.messages,
      recipients: texts.recipients,
      textsSent: texts.textsSent,
      delivered: texts.delivered,
      failed: texts.failed,
      unconfirmed: texts.unconfirmed,
      deliveryRate: outcomes ? texts.delivered / outcomes : null,
      segments: texts.segments,
      estimatedCost: Math.round(Number(texts.estimatedCost) * 10_000) / 10_000,
    },
  };
}
