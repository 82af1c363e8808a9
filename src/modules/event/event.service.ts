import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getGroup } from '../group/group.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import { invalidateAttendance } from '../../cache/invalidate.js';
import type { CreateEventInput, UpdateEventInput } from './event.input.js';
import * as q from './event.queries.js';
import type { EventRow, ExceptionRow } from './event.queries.js';
import { countCheckInsAt } from './checkin.queries.js';
import { fromFloating, isStart, nextStart, normalizeRrule, parseLocal, rruleProblem, startsBetween, toFloating } from './recurrence.js';

/** One occurrence as the API shows it: the rule's start (its key) with any exception applied. */
export interface OccurrenceRow {
  id: string;
  event: EventRow;
  originalStart: Date;
  startsAt: Date;
  endsAt: Date;
  cancelled: boolean;
  moved: boolean;
  headcount: number;
}

/** A window of occurrences is at most this long, and yields at most this many. */
export const OCCURRENCE_WINDOW_DAYS = 400;
export const OCCURRENCE_CAP = 1000;
export const DURATION_MAX_MINUTES = 10_080;

const DAY_MS = 86_400_000;

export const occurrenceId = (eventId: number, start: Date) => `${eventId}@${start.toISOString().replace('.000Z', 'Z')}`;

/** `eventId@instant` → its parts; malformed is bad input. */
export function parseOccurrenceId(id: string, field = 'id'): { eventId: number; start: Date } {
  const m = /^(\d{1,12})@(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z)$/.exec(String(id).trim());
  const start = m ? new Date(m[2]!) : undefined;
  if (!m || !start || Number.isNaN(start.getTime())) {
    throw new BadInputError({ field, message: 'is not a valid Occurrence id (eventId@start, as the API gives it)' });
  }
  return { eventId: parseId(m[1]!, 'Occurrence', field), start };
}

export function occurrenceOf(event: EventRow, start: Date, ex: ExceptionRow | undefined): OccurrenceRow {
  const moved = Boolean(ex?.startsAt);
  return {
    id: occurrenceId(event.id, start),
    event,
    originalStart: start,
    startsAt: ex?.startsAt ?? start,
    endsAt: ex?.endsAt ?? new Date(start.getTime() + event.durationMinutes * 60_000),
    cancelled: Boolean(ex?.cancelledAt),
    moved,
    headcount: ex?.headcount ?? 0,
  };
}

/** An event the viewer may see; another church's answers NOT_FOUND. */
export async function getEvent({ scope, id, field = 'id' }: { scope: Scope; id: string | number; field?: string }): Promise<EventRow> {
  requireViewer(scope.auth);
  const eventId = typeof id === 'number' ? id : parseId(id, 'Event', field);
  const e = await scope.loaders.event.load(eventId);
  if (!e) throw new NotFoundError('Event', eventId, field);
  requireChurchRole(scope.auth, e.churchId, 'viewer', field);
  return e;
}

/**
 * An occurrence by id, for a caller allowed in `churchIds` (the loaders' scope, or a check-in
 * token's church). A start the rule does not give is NOT_FOUND, like an unknown event.
 */
export async function findOccurrence(scope: Scope, id: string, field: string, churchIds: readonly number[]): Promise<OccurrenceRow> {
  const { eventId, start } = parseOccurrenceId(id, field);
  const found = await q.eventWithExceptionAt(scope.db, eventId, churchIds, start);
  if (!found || !isStart(found.event, start)) throw new NotFoundError('Occurrence', id, field);
  return occurrenceOf(found.event, start, found.exception);
}

export async function getOccurrence({ scope, id, field = 'id' }: { scope: Scope; id: string; field?: string }): Promise<OccurrenceRow> {
  requireViewer(scope.auth);
  const { eventId } = parseOccurrenceId(id, field);
  const event = await scope.loaders.event.load(eventId);
  if (!event) throw new NotFoundError('Occurrence', id, field);
  requireChurchRole(scope.auth, event.churchId, 'viewer', field);
  return findOccurrence(scope, id, field, [event.churchId]);
}

/** Checks an occurrence window (instants) before anything is generated. */
export function checkWindow(from: Date, to: Date, fields = { from: 'from', to: 'to' }): void {
  const p = new Problems();
  if (Number.isNaN(from.getTime())) p.add(fields.from, 'is not a valid time');
  if (Number.isNaN(to.getTime())) p.add(fields.to, 'is not a valid time');
  else if (to <= from) p.add(fields.to, 'must be after from');
  else if (to.getTime() - from.getTime() > OCCURRENCE_WINDOW_DAYS * DAY_MS) p.add(fields.to, `must be at most ${OCCURRENCE_WINDOW_DAYS} days after from`);
  p.throwIfAny();
}

/** The occurrences of an event starting in [from, to): the rule's, with exceptions applied, by start. */
export async function occurrencesBetween(
  scope: Scope,
  event: EventRow,
  from: Date,
  to: Date,
  opts: { includeCancelled: boolean; exceptions?: ExceptionRow[] },
): Promise<OccurrenceRow[]> {
  checkWindow(from, to);
  // a moved occurrence may come from a rule start outside the window: exceptions cover both ways.
  // Through the loader (batched over a page of events) when the caller may read the church's
  // data; a check-in token, which has no roles, reads its one church directly.
  const exceptions = opts.exceptions
    ? opts.exceptions
    : scope.auth.viewer?.roles.has(event.churchId)
    ? await scope.loaders.eventExceptions({ from: from.getTime(), to: to.getTime() }).load(event.id)
    : await q.exceptionsInWindow(scope.db, event.id, from, to);
  const byStart = new Map(exceptions.map((x) => [x.originalStart.getTime(), x]));
  const starts = startsBetween(event, from, to, OCCURRENCE_CAP + 1);
  if (starts.length > OCCURRENCE_CAP) {
    throw new BadInputError({ field: 'to', message: `this window has more than ${OCCURRENCE_CAP} occurrences; ask for a shorter one` });
  }
  const seen = new Set(starts.map((s) => s.getTime()));
  for (const x of exceptions) {
    if (!seen.has(x.originalStart.getTime()) && x.startsAt && isStart(event, x.originalStart)) {
      starts.push(x.originalStart);
      seen.add(x.originalStart.getTime());
    }
  }
  return starts
    .map((s) => occurrenceOf(event, s, byStart.get(s.getTime())))
    .filter((o) => o.startsAt >= from && o.startsAt < to)
    .filter((o) => opts.includeCancelled || !o.cancelled)
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}

const requestMinutes = new WeakMap<Scope, number>();
/**
 * The whole minute a request first asked for "now", the same for every event of the request: the
 * default windows it gives are then one key for the exceptions loader, so a page of events is one
 * statement however long its resolvers take.
 */
export function requestMinute(scope: Scope): Date {
  let m = requestMinutes.get(scope);
  if (m === undefined) {
    m = Math.floor(scope.clock.now().getTime() / 60_000) * 60_000;
    requestMinutes.set(scope, m);
  }
  return new Date(m);
}

export async function nextOccurrence(scope: Scope, event: EventRow): Promise<OccurrenceRow | null> {
  const now = scope.clock.now();
  // The next start that is not cancelled, a year ahead at most. The first month is one window
  // shared by every event of the request (see requestMinute); later months only for events with
  // nothing in it.
  const from = requestMinute(scope);
  for (let i = 0; i < 12; i++) {
    const start = new Date(from.getTime() + i * 31 * DAY_MS);
    if (i > 0 && !nextStart(event, start)) return null;
    const list = await occurrencesBetween(scope, event, start, new Date(start.getTime() + 31 * DAY_MS), { includeCancelled: false });
    const hit = list.find((o) => o.startsAt >= now);
    if (hit) return hit;
  }
  return null;
}

// ---- events ----------------------------------------------------------------------------------

interface Schedule {
  startsLocal?: string;
  durationMinutes?: number;
  rrule?: string | null;
  timeZone?: string;
}

function validateEvent(p: Problems, input: Partial<CreateEventInput>, creating: boolean) {
  const out: Schedule & { name?: string; description?: string | null; location?: string | null } = {};
  out.name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: creating || input.name !== undefined }) ?? undefined;
  out.description = v.text(p, 'input.description', input.description, { max: v.LIMITS.description });
  out.location = v.text(p, 'input.location', input.location, { max: v.LIMITS.name });
  if (input.startsLocal !== undefined || creating) {
    const s = input.startsLocal;
    const local = typeof s === 'string' ? s.trim().slice(0, 16) : undefined;
    if (!local || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:00)?$/.test(s!.trim()) || !parseLocal(local)) {
      p.add('input.startsLocal', 'must be a local date and time YYYY-MM-DDTHH:MM (in the event’s time zone)');
    } else out.startsLocal = local;
  }
  if (input.durationMinutes !== undefined && input.durationMinutes !== null) {
    if (!Number.isInteger(input.durationMinutes) || input.durationMinutes < 1 || input.durationMinutes > DURATION_MAX_MINUTES) {
      p.add('input.durationMinutes', `must be 1-${DURATION_MAX_MINUTES} minutes`);
    } else out.durationMinutes = input.durationMinutes;
  } else if (input.durationMinutes === null) p.add('input.durationMinutes', 'cannot be null');
  if (input.rrule !== undefined) {
    if (input.rrule === null || input.rrule.trim() === '') out.rrule = null;
    else {
      const why = v.unstorable(input.rrule) ?? rruleProblem(input.rrule);
      if (why) p.add('input.rrule', why);
      else out.rrule = normalizeRrule(input.rrule);
    }
  }
  if (input.timeZone !== undefined && input.timeZone !== null) out.timeZone = v.timeZone(p, 'input.timeZone', input.timeZone);
  else if (input.timeZone === null) p.add('input.timeZone', 'cannot be null');
  return out;
}

async function groupIn(scope: Scope, church: ChurchRow, groupId: string | null | undefined): Promise<number | null | undefined> {
  if (groupId === undefined) return undefined;
  if (groupId === null) return null;
  const g = await getGroup({ scope, id: groupId, field: 'input.groupId' });
  if (g.churchId !== church.id) throw new NotFoundError('Group', g.id, 'input.groupId');
  return g.id;
}

export async function createEvent({ scope, input }: { scope: Scope; input: CreateEventInput }): Promise<EventRow> {
  const church = await getChurch({ scope, id: input.churchId, field: 'input.churchId' });
  requireChurchRole(scope.auth, church.id, 'staff', 'input.churchId');
  const p = new Problems();
  const e = validateEvent(p, input, true);
  p.throwIfAny();
  const groupId = await groupIn(scope, church, input.groupId);
  const row = await q.insertEvent(scope.db, {
    churchId: church.id,
    groupId: groupId ?? null,
    name: e.name!,
    description: e.description ?? null,
    location: e.location ?? null,
    timeZone: e.timeZone ?? church.timeZone,
    startsLocal: e.startsLocal!,
    durationMinutes: e.durationMinutes ?? 60,
    rrule: e.rrule ?? null,
  });
  await invalidateAttendance(scope.cache, church.id);
  return row;
}

export async function updateEvent({ scope, id, input }: { scope: Scope; id: string; input: UpdateEventInput }): Promise<EventRow> {
  const current = await getEvent({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'staff', 'id');
  const p = new Problems();
  const e = validateEvent(p, input, false);
  if (input.archived === null) p.add('input.archived', 'cannot be null');
  p.throwIfAny();
  const church = await getChurch({ scope, id: current.churchId });
  const groupId = await groupIn(scope, church, input.groupId);
  const row = await q.updateEvent(scope.db, current.id, {
    name: e.name,
    description: e.description,
    location: e.location,
    timeZone: e.timeZone,
    startsLocal: e.startsLocal,
    durationMinutes: e.durationMinutes,
    rrule: e.rrule,
    groupId,
    ...(input.archived === undefined ? {} : { archivedAt: input.archived ? (current.archivedAt ?? scope.clock.now()) : null }),
  });
  if (!row) throw new NotFoundError('Event', current.id);
  scope.loaders.event.clear(row.id).prime(row.id, row);
  await invalidateAttendance(scope.cache, row.churchId, [['Event', row.id]]);
  return row;
}

export async function listEvents({
  scope,
  church,
  groupId,
  archived,
  first: f,
  after: a,
}: {
  scope: Scope;
  church: ChurchRow;
  groupId?: string | null;
  archived?: boolean | null;
  first?: number;
  after?: string | null;
}) {
  requireChurchRole(scope.auth, church.id, 'viewer');
  const first = pageSize(f);
  const after = cursorKeys(a, 'EVENT', ['string', 'number']);
  let gid: number | undefined;
  if (groupId !== undefined && groupId !== null) {
    const g = await getGroup({ scope, id: groupId, field: 'groupId' });
    if (g.churchId !== church.id) throw new NotFoundError('Group', g.id, 'groupId');
    gid = g.id;
  }
  const args = { churchId: church.id, groupId: gid, archived: archived ?? false };
  const rows = first === 0 ? [] : await q.pageEvents(scope.db, { ...args, limit: first + 1, after });
  return toConnection(
    rows,
    first,
    after !== undefined,
    cursorEdge('EVENT', (e: EventRow) => [e.name.toLowerCase(), e.id]),
    () => q.countEvents(scope.db, args),
  );
}

// ---- exceptions ------------------------------------------------------------------------------

async function editableOccurrence(scope: Scope, id: string): Promise<OccurrenceRow> {
  const o = await getOccurrence({ scope, id });
  requireChurchRole(scope.auth, o.event.churchId, 'staff', 'id');
  if (o.event.archivedAt) throw new BadInputError({ field: 'id', message: 'belongs to an archived event; restore the event first' });
  return o;
}

async function saveException(scope: Scope, o: OccurrenceRow, patch: Parameters<typeof q.upsertException>[2]) {
  const x = await q.upsertException(scope.db, { churchId: o.event.churchId, eventId: o.event.id, originalStart: o.originalStart }, patch);
  await invalidateAttendance(scope.cache, o.event.churchId, [['Event', o.event.id], ['Occurrence', o.id]]);
  return occurrenceOf(o.event, o.originalStart, x);
}

/** Cancels one occurrence; it leaves lists and counts. One with check-ins must have them undone first. */
export async function cancelOccurrence({ scope, id }: { scope: Scope; id: string }): Promise<OccurrenceRow> {
  const o = await editableOccurrence(scope, id);
  const n = await countCheckInsAt(scope.db, o.event.id, o.originalStart);
  if (n > 0) throw new BadInputError({ field: 'id', message: `has ${n} check-ins; undo them before cancelling` });
  return saveException(scope, o, { cancelled: true });
}

export async function restoreOccurrence({ scope, id }: { scope: Scope; id: string }): Promise<OccurrenceRow> {
  const o = await editableOccurrence(scope, id);
  return saveException(scope, o, { cancelled: false });
}

/** Moves one occurrence (its id stays the same); moving it back to the rule's time undoes the move. */
export async function moveOccurrence({
  scope,
  id,
  startsAt,
  endsAt,
}: {
  scope: Scope;
  id: string;
  startsAt: Date;
  endsAt?: Date | null;
}): Promise<OccurrenceRow> {
  const o = await editableOccurrence(scope, id);
  const p = new Problems();
  if (Number.isNaN(startsAt.getTime())) p.add('startsAt', 'is not a valid time');
  const end = endsAt ?? new Date(startsAt.getTime() + o.event.durationMinutes * 60_000);
  if (Number.isNaN(end.getTime())) p.add('endsAt', 'is not a valid time');
  else if (end <= startsAt) p.add('endsAt', 'must be after startsAt');
  else if (end.getTime() - startsAt.getTime() > DURATION_MAX_MINUTES * 60_000) p.add('endsAt', 'must be within 7 days of startsAt');
  // within a year either way of the rule's time: a move, not a different event
  if (Math.abs(startsAt.getTime() - o.originalStart.getTime()) > 366 * DAY_MS) p.add('startsAt', 'must be within a year of the occurrence’s own time');
  p.throwIfAny();
  const ruleEnd = o.originalStart.getTime() + o.event.durationMinutes * 60_000;
  const back = startsAt.getTime() === o.originalStart.getTime() && end.getTime() === ruleEnd;
  return saveException(scope, o, back ? { startsAt: null, endsAt: null } : { startsAt, endsAt: end });
}

export async function setHeadcount({ scope, id, headcount }: { scope: Scope; id: string; headcount: number }): Promise<OccurrenceRow> {
  const o = await getOccurrence({ scope, id });
  requireChurchRole(scope.auth, o.event.churchId, 'staff', 'id');
  if (!Number.isInteger(headcount) || headcount < 0 || headcount > 100_000) {
    throw new BadInputError({ field: 'headcount', message: 'must be a whole number 0-100000' });
  }
  if (o.cancelled) throw new BadInputError({ field: 'id', message: 'is cancelled' });
  return saveException(scope, o, { headcount });
}

/** The church-local calendar day of an instant, and that day's bounds as instants. */
export function localDay(tz: string, at: Date): { from: Date; to: Date } {
  const f = toFloating(at, tz);
  const midnight = new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth(), f.getUTCDate()));
  return { from: fromFloating(midnight, tz), to: fromFloating(new Date(midnight.getTime() + DAY_MS), tz) };
}

