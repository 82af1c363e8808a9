import type { Scope } from '../scope.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole } from '../viewer.js';
import type { Queryable } from '../../db/client.js';
import * as aq from './attendance.queries.js';
import { eventsByIds, type EventRow } from './event.queries.js';
import { getEvent, localDay, occurrencesBetween } from './event.service.js';
import { fromFloating, parseLocal, toFloating } from './recurrence.js';

const WEEK_MS = 7 * 86_400_000;

/** The lapsed rule as the API takes it (AudienceInput.lapsed and lapsedPeople share it). */
export interface LapsedRule {
  eventId?: string | null;
  minAttendances?: number | null;
  previousWeeks?: number | null;
  absentWeeks?: number | null;
}

export const LAPSED_DEFAULTS = { minAttendances: 3, previousWeeks: 8, absentWeeks: 4 } as const;

/**
 * Resolves a lapsed rule for a church the caller may read: "attended at least N times in the M
 * weeks before the last K weeks, and not at all in the last K weeks" (weeks end now).
 */
export async function lapsedSpec(db: Queryable, churchId: number, rule: LapsedRule, now: Date, prefix: string): Promise<aq.LapsedSpec> {
  const p = new Problems();
  const n = rule.minAttendances ?? LAPSED_DEFAULTS.minAttendances;
  const m = rule.previousWeeks ?? LAPSED_DEFAULTS.previousWeeks;
  const k = rule.absentWeeks ?? LAPSED_DEFAULTS.absentWeeks;
  if (!Number.isInteger(n) || n < 1 || n > 500) p.add(`${prefix}minAttendances`, 'must be 1-500');
  if (!Number.isInteger(m) || m < 1 || m > 104) p.add(`${prefix}previousWeeks`, 'must be 1-104');
  if (!Number.isInteger(k) || k < 1 || k > 104) p.add(`${prefix}absentWeeks`, 'must be 1-104');
  p.throwIfAny();
  let eventId: number | null = null;
  if (rule.eventId !== undefined && rule.eventId !== null) {
    eventId = parseId(rule.eventId, 'Event', `${prefix}eventId`);
    const [e] = await eventsByIds(db, [eventId], [churchId]);
    if (!e) throw new NotFoundError('Event', eventId, `${prefix}eventId`);
  }
  const absentFrom = new Date(now.getTime() - k * WEEK_MS);
  return { churchId, eventId, minAttendances: n, absentFrom, prevFrom: new Date(absentFrom.getTime() - m * WEEK_MS) };
}

export async function listLapsed({
  scope,
  churchId,
  rule,
  first: f,
  after: a,
}: {
  scope: Scope;
  churchId: string;
  rule: LapsedRule;
  first?: number;
  after?: string | null;
}) {
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'viewer');
  const first = pageSize(f);
  const after = cursorKeys(a, 'LAPSED', ['string', 'string', 'number']);
  const spec = await lapsedSpec(scope.db, church.id, rule, scope.clock.now(), 'rule.');
  const rows = first === 0 ? [] : await aq.pageLapsed(scope.db, spec, first + 1, after);
  const edge = cursorEdge('LAPSED', (r: aq.LapsedRow) => [r.member.lastName.toLowerCase(), r.member.firstName.toLowerCase(), r.member.id]);
  return toConnection(
    rows,
    first,
    after !== undefined,
    (r: aq.LapsedRow) => ({ ...edge(r), node: r.member, attended: r.attended, lastAttendedAt: r.lastAttendedAt }),
    () => aq.countLapsed(scope.db, spec),
  );
}

/** A local date's midnight in a zone, as an instant. */
function localMidnight(date: string, tz: string): Date {
  return fromFloating(parseLocal(`${date}T00:00`)!, tz);
}

/** Monday (local) of the week an instant falls in, as YYYY-MM-DD. */
function weekOf(instant: Date, tz: string): string {
  const f = toFloating(instant, tz);
  const dow = (f.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth(), f.getUTCDate() - dow)).toISOString().slice(0, 10);
}

/**
 * Attendance of one event series per week (local Monday to Sunday) in [from, to] (dates, at most
 * a year), with first-time and returning guests of the series in that time. Occurrences that have
 * not started yet are left out of the figures.
 */
export async function attendanceReport({
  scope,
  churchId,
  eventId,
  from,
  to,
}: {
  scope: Scope;
  churchId: string;
  eventId: string;
  from?: string | null;
  to?: string | null;
}) {
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'viewer');
  const event: EventRow = await getEvent({ scope, id: eventId, field: 'eventId' });
  if (event.churchId !== church.id) throw new NotFoundError('Event', event.id, 'eventId');
  const tz = event.timeZone;
  const p = new Problems();
  const today = v.todayIn(tz, scope.clock.now());
  const toDate = v.isoDate(p, 'to', to ?? today) ?? today;
  const defaultFrom = new Date(Date.parse(`${toDate}T00:00:00Z`) - 12 * WEEK_MS).toISOString().slice(0, 10);
  const fromDate = v.isoDate(p, 'from', from ?? defaultFrom) ?? defaultFrom;
  p.throwIfAny();
  if (fromDate > toDate) throw new BadInputError({ field: 'to', message: 'must not be before from' });
  if (Date.parse(toDate) - Date.parse(fromDate) > 366 * 86_400_000) throw new BadInputError({ field: 'to', message: 'must be within a year of from' });
  const start = localMidnight(fromDate, tz);
  const end = localDay(tz, localMidnight(toDate, tz)).to;
  const now = scope.clock.now();
  const occurrences = (await occurrencesBetween(scope, event, start, end, { includeCancelled: false })).filter((o) => o.startsAt <= now);
  // named check-ins are keyed by the rule's start: a moved occurrence's may lie outside the window
  const origins = occurrences.map((o) => o.originalStart.getTime());
  const counts = origins.length
    ? await aq.seriesCounts(scope.db, event.id, event.churchId, new Date(Math.min(...origins)), new Date(Math.max(...origins) + 1))
    : new Map<number, number>();
  const weeks = new Map<string, { weekStart: string; occurrences: number; checkedIn: number; headcount: number; total: number }>();
  // every week of the window, also those without occurrences
  for (let w = weekOf(start, tz); w <= toDate; w = new Date(Date.parse(`${w}T00:00:00Z`) + WEEK_MS).toISOString().slice(0, 10)) {
    weeks.set(w, { weekStart: w, occurrences: 0, checkedIn: 0, headcount: 0, total: 0 });
  }
  for (const o of occurrences) {
    const w = weeks.get(weekOf(o.startsAt, tz));
    if (!w) continue;
    const named = counts.get(o.originalStart.getTime()) ?? 0;
    w.occurrences++;
    w.checkedIn += named;
    w.headcount += o.headcount;
    w.total += named + o.headcount;
  }
  const list = [...weeks.values()];
  const total = list.reduce((s, w) => s + w.total, 0);
  const held = list.reduce((s, w) => s + w.occurrences, 0);
  const guests = await aq.guestCounts(scope.db, { churchId: event.churchId, eventId: event.id, from: start, to: end });
  return {
    event,
    from: fromDate,
    to: toDate,
    timeZone: tz,
    weeks: list,
    occurrences: held,
    totalAttendance: total,
    averageAttendance: held ? Math.round((total / held) * 10) / 10 : 0,
    firstTimeGuests: guests.firstTime,
    returningGuests: guests.returning,
  };
}
