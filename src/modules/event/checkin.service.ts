import type { Scope } from '../scope.js';
import { CheckInVia } from '../../db/schema/enums.js';
import { BadInputError, NotFoundError, Problems, type FieldProblem } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { getChurch } from '../church/church.service.js';
import { churchesByIds } from '../church/church.queries.js';
import { requireCheckInAccess, requireChurchRole, requireViewer, type Viewer } from '../viewer.js';
import { invalidateAttendance } from '../../cache/invalidate.js';
import * as cq from './checkin.queries.js';
import type { CheckInPersonRow } from './checkin.queries.js';
import { findOccurrence, localDay, occurrencesBetween, type OccurrenceRow } from './event.service.js';
import { exceptionsInWindowByEvent, pageEvents, upsertException } from './event.queries.js';

/** People in one check-in call (a family at the door); the bulk entry takes more. */
export const CHECK_IN_MAX = 50;
export const BULK_MAX_ROWS = 5000;
export const SEARCH_CAP = 20;
export const HOUSEHOLD_CAP = 50;
/** checkInOccurrences looks at this many of the church's events (by name) */
export const CHECK_IN_EVENTS_CAP = 200;
/** Check-in opens this long before an occurrence starts (the doors open early). */
const EARLY_MS = 24 * 3600_000;

export interface CheckInResultRow {
  occurrenceId: string;
  checkedIn: number;
  alreadyCheckedIn: number;
  people: CheckInPersonRow[];
}

/** Which churches' events a caller may check in to: a check-in token's one church, or its roles. */
function checkInChurches(viewer: Viewer): number[] {
  return viewer.checkInChurchId !== undefined ? [viewer.checkInChurchId] : [...viewer.roles.keys()];
}

/** The occurrence a check-in writes to: the caller's (token or STAFF), not cancelled, already open. */
async function openOccurrence(scope: Scope, id: string, field = 'occurrenceId'): Promise<OccurrenceRow> {
  const viewer = requireViewer(scope.auth);
  const o = await findOccurrence(scope, id, field, checkInChurches(viewer));
  requireCheckInAccess(scope.auth, o.event.churchId, field);
  if (o.cancelled) throw new BadInputError({ field, message: 'is cancelled' });
  if (o.event.archivedAt) throw new BadInputError({ field, message: 'belongs to an archived event' });
  if (o.startsAt.getTime() - scope.clock.now().getTime() > EARLY_MS) {
    throw new BadInputError({ field, message: 'has not opened for check-in yet (opens 24 hours before it starts)' });
  }
  return o;
}

const viaOf = (viewer: Viewer) => (viewer.checkInChurchId !== undefined ? CheckInVia.KIOSK : CheckInVia.STAFF);

async function record(scope: Scope, o: OccurrenceRow, people: CheckInPersonRow[], via: CheckInVia): Promise<CheckInResultRow> {
  const viewer = requireViewer(scope.auth);
  const added = await cq.insertCheckIns(scope.db, {
    churchId: o.event.churchId,
    eventId: o.event.id,
    occurrenceStart: o.originalStart,
    memberIds: people.map((m) => m.id),
    by: viewer.userId,
    via,
  });
  if (added.length) await invalidateAttendance(scope.cache, o.event.churchId, [['Occurrence', o.id]]);
  return { occurrenceId: o.id, checkedIn: added.length, alreadyCheckedIn: people.length - added.length, people };
}

/** Checks people in (twice is once). Another church's people answer NOT_FOUND; archived ones are refused. */
export async function checkIn({ scope, occurrenceId, memberIds }: { scope: Scope; occurrenceId: string; memberIds: string[] }) {
  if (!memberIds.length) throw new BadInputError({ field: 'memberIds', message: 'needs at least one person' });
  if (memberIds.length > CHECK_IN_MAX) throw new BadInputError({ field: 'memberIds', message: `accepts at most ${CHECK_IN_MAX} people (use recordAttendance for a whole service)` });
  const ids = [...new Set(memberIds.map((id) => parseId(id, 'Member', 'memberIds')))];
  const o = await openOccurrence(scope, occurrenceId);
  const viewer = requireViewer(scope.auth);
  // read and written in one statement, which writes nothing unless every id is a person of the
  // church and none is archived
  const { people, added } = await cq.checkInPeopleByIds(scope.db, {
    churchId: o.event.churchId,
    eventId: o.event.id,
    occurrenceStart: o.originalStart,
    memberIds: ids,
    by: viewer.userId,
    via: viaOf(viewer),
  });
  const found = new Map(people.map((m) => [m.id, m]));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw new NotFoundError('Member', missing, 'memberIds');
  const archived = people.find((m) => m.archived);
  if (archived) throw new BadInputError({ field: 'memberIds', message: `member ${archived.id} is archived` });
  if (added.length) await invalidateAttendance(scope.cache, o.event.churchId, [['Occurrence', o.id]]);
  return { occurrenceId: o.id, checkedIn: added.length, alreadyCheckedIn: ids.length - added.length, people: ids.map((id) => found.get(id)!) };
}

/** Checks in everyone of a household who is not archived. */
export async function checkInHousehold({ scope, occurrenceId, householdId }: { scope: Scope; occurrenceId: string; householdId: string }) {
  const hid = parseId(householdId, 'Household', 'householdId');
  const o = await openOccurrence(scope, occurrenceId);
  const people = await cq.householdPeople(scope.db, o.event.churchId, hid, HOUSEHOLD_CAP);
  if (!people.length) throw new NotFoundError('Household', hid, 'householdId');
  return record(scope, o, people, viaOf(requireViewer(scope.auth)));
}

/** Takes one person's check-in back (STAFF; a door tablet cannot). */
export async function undoCheckIn({ scope, occurrenceId, memberId }: { scope: Scope; occurrenceId: string; memberId: string }) {
  const viewer = requireViewer(scope.auth);
  const mid = parseId(memberId, 'Member', 'memberId');
  const o = await findOccurrence(scope, occurrenceId, 'occurrenceId', [...viewer.roles.keys()]);
  requireChurchRole(scope.auth, o.event.churchId, 'staff', 'occurrenceId');
  const removed = await cq.deleteCheckIn(scope.db, o.event.id, o.originalStart, mid);
  if (!removed) throw new NotFoundError('CheckIn', `${o.id}/${mid}`, 'memberId');
  await invalidateAttendance(scope.cache, o.event.churchId, [['Occurrence', o.id]]);
  return { occurrenceId: o.id, memberId: mid, removed };
}

export interface BulkResult {
  recorded: number;
  alreadyCheckedIn: number;
  headcount: number | null;
  errors: Array<{ row: number; field: string; message: string }>;
}

/**
 * A whole service's attendance in one call: up to 5,000 people (and optionally the headcount of
 * those without names). All or nothing: any bad row writes nothing and every bad row is reported.
 */
export async function recordAttendance({
  scope,
  occurrenceId,
  memberIds,
  headcount,
}: {
  scope: Scope;
  occurrenceId: string;
  memberIds: string[];
  headcount?: number | null;
}): Promise<BulkResult> {
  if (memberIds.length > BULK_MAX_ROWS) {
    throw new BadInputError({ field: 'memberIds', message: `accepts at most ${BULK_MAX_ROWS} people per call (got ${memberIds.length})` });
  }
  if (headcount !== undefined && headcount !== null && (!Number.isInteger(headcount) || headcount < 0 || headcount > 100_000)) {
    throw new BadInputError({ field: 'headcount', message: 'must be a whole number 0-100000' });
  }
  if (!memberIds.length && (headcount === undefined || headcount === null)) {
    throw new BadInputError({ field: 'memberIds', message: 'needs people or a headcount' });
  }
  const o = await openOccurrence(scope, occurrenceId);
  requireChurchRole(scope.auth, o.event.churchId, 'staff', 'occurrenceId');
  const errors: BulkResult['errors'] = [];
  const ids: number[] = [];
  const rowOf = new Map<number, number>();
  memberIds.forEach((raw, i) => {
    const p = new Problems();
    let id: number | undefined;
    try {
      id = parseId(raw, 'Member', 'memberId');
    } catch (e) {
      p.add('memberId', (e as { message: string }).message.replace(/^memberId: /, ''));
    }
    if (id !== undefined && rowOf.has(id)) p.add('memberId', `repeats row ${rowOf.get(id)}`);
    for (const x of p.list as FieldProblem[]) errors.push({ row: i + 1, field: x.field, message: x.message });
    if (p.empty && id !== undefined) {
      rowOf.set(id, i + 1);
      ids.push(id);
    }
  });
  const people = await cq.peopleByIds(scope.db, o.event.churchId, ids);
  const found = new Map(people.map((m) => [m.id, m]));
  for (const id of ids) {
    const m = found.get(id);
    if (!m) errors.push({ row: rowOf.get(id)!, field: 'memberId', message: 'no such person in this church' });
    else if (m.archived) errors.push({ row: rowOf.get(id)!, field: 'memberId', message: 'is archived' });
  }
  if (errors.length) {
    errors.sort((a, b) => a.row - b.row);
    return { recorded: 0, alreadyCheckedIn: 0, headcount: null, errors };
  }
  const viewer = requireViewer(scope.auth);
  const out = await scope.db.transaction(async (tx) => {
    const added = await cq.insertCheckIns(tx, {
      churchId: o.event.churchId,
      eventId: o.event.id,
      occurrenceStart: o.originalStart,
      memberIds: ids,
      by: viewer.userId,
      via: CheckInVia.BULK,
    });
    let hc: number | null = null;
    if (headcount !== undefined && headcount !== null) {
      hc = (await upsertException(tx, { churchId: o.event.churchId, eventId: o.event.id, originalStart: o.originalStart }, { headcount })).headcount;
    }
    return { recorded: added.length, alreadyCheckedIn: ids.length - added.length, headcount: hc, errors: [] };
  });
  await invalidateAttendance(scope.cache, o.event.churchId, [['Occurrence', o.id]]);
  return out;
}

/** The door's search: a name or phone fragment, at most 20 people, with nothing but names and households. */
export async function checkInSearch({ scope, churchId, search }: { scope: Scope; churchId: string; search: string }) {
  const viewer = requireViewer(scope.auth);
  const cid = parseId(churchId, 'Church', 'churchId');
  if (viewer.checkInChurchId === undefined) await getChurch({ scope, id: churchId, field: 'churchId' });
  requireCheckInAccess(scope.auth, cid);
  const p = new Problems();
  const term = v.text(p, 'search', search, { max: v.LIMITS.search, required: true });
  p.throwIfAny();
  if (term!.replace(/[\s()+.-]/g, '').length < 2) throw new BadInputError({ field: 'search', message: 'needs at least 2 letters or digits' });
  return cq.searchPeople(scope.db, cid, term!, SEARCH_CAP);
}

/** Today's occurrences (church-local day) of the church's events, for a door tablet to pick from. */
export async function checkInOccurrences({ scope, churchId }: { scope: Scope; churchId: string }) {
  const viewer = requireViewer(scope.auth);
  const cid = parseId(churchId, 'Church', 'churchId');
  if (viewer.checkInChurchId === undefined) await getChurch({ scope, id: churchId, field: 'churchId' });
  requireCheckInAccess(scope.auth, cid);
  const [church] = await churchesByIds(scope.db, [cid], { all: false, ids: [cid] });
  if (!church) throw new NotFoundError('Church', cid, 'churchId');
  const { from, to } = localDay(church.timeZone, scope.clock.now());
  const events = await pageEvents(scope.db, { churchId: cid, limit: CHECK_IN_EVENTS_CAP, archived: false });
  // every event's exceptions of the day in one statement (a check-in token has no loaders' scope)
  const exceptions = await exceptionsInWindowByEvent(scope.db, events.map((e) => e.id), from, to, [cid]);
  const lists = await Promise.all(
    events.map((e) => occurrencesBetween(scope, e, from, to, { includeCancelled: false, exceptions: exceptions.get(e.id) ?? [] })),
  );
  return lists.flat().sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}

/** Occurrence.checkIns: the people checked in, by member id (VIEWER or higher). */
export async function listCheckIns({ scope, o, first: f, after: a }: { scope: Scope; o: OccurrenceRow; first?: number; after?: string | null }) {
  requireChurchRole(scope.auth, o.event.churchId, 'viewer', 'checkIns');
  const first = pageSize(f);
  const after = cursorKeys(a, 'CHECKIN', ['number']);
  const rows = first === 0 ? [] : await cq.pageCheckIns(scope.db, { churchId: o.event.churchId, eventId: o.event.id, start: o.originalStart, limit: first + 1, afterMemberId: after?.[0] });
  const edge = cursorEdge('CHECKIN', (r: cq.CheckInEdgeRow) => [r.member.id]);
  return toConnection(
    rows,
    first,
    after !== undefined,
    (r: cq.CheckInEdgeRow) => ({ ...edge(r), node: r.member, checkedInAt: r.checkedInAt, via: r.via }),
    () => cq.countCheckInsAt(scope.db, o.event.id, o.originalStart),
  );
}
