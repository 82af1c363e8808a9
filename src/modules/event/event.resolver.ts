import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { DateTime, LocalDate } from '../../graphql/scalars.js';
import { Church } from '../church/church.type.js';
import { getChurch } from '../church/church.service.js';
import { Group } from '../group/group.type.js';
import { requireChurchRole } from '../viewer.js';
import type { EventRow } from './event.queries.js';
import { CreateEventInput, LapsedInput, UpdateEventInput } from './event.input.js';
import {
  cancelOccurrence,
  createEvent,
  getEvent,
  getOccurrence,
  listEvents,
  moveOccurrence,
  nextOccurrence,
  occurrencesBetween,
  requestMinute,
  restoreOccurrence,
  setHeadcount,
  updateEvent,
  type OccurrenceRow,
} from './event.service.js';
import { attendanceReport, listLapsed } from './attendance.service.js';
import {
  checkIn,
  checkInHousehold,
  checkInOccurrences,
  checkInSearch,
  listCheckIns,
  recordAttendance,
  undoCheckIn,
} from './checkin.service.js';
import {
  AttendanceReport,
  CheckInConnection,
  CheckInOccurrence,
  CheckInPerson,
  CheckInResult,
  Event,
  EventConnection,
  LapsedConnection,
  Occurrence,
  RecordAttendanceResult,
  UndoCheckInPayload,
} from './event.type.js';

@Resolver(() => Event)
export class EventResolver {
  @Query(() => Event)
  event(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return getEvent({ scope: ctx, id });
  }

  @Query(() => EventConnection, { description: "A church's events by name (first ≤ 100); groupId: that group's meetings." })
  async events(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('groupId', () => ID, { nullable: true }) groupId?: string | null,
    @Arg('archived', () => Boolean, { nullable: true, defaultValue: false }) archived?: boolean,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    const church = await getChurch({ scope: ctx, id: churchId, field: 'churchId' });
    return listEvents({ scope: ctx, church, groupId, archived, first, after });
  }

  @FieldResolver(() => Church)
  church(@Ctx() ctx: Context, @Root() e: EventRow) {
    return ctx.loaders.church.load(e.churchId);
  }

  @FieldResolver(() => Group, { nullable: true })
  group(@Ctx() ctx: Context, @Root() e: EventRow) {
    return e.groupId === null ? null : ctx.loaders.group.load(e.groupId);
  }

  @FieldResolver(() => [Occurrence], {
    description: 'Occurrences starting in [from, to) by start (default: the 4 weeks before and after now), at most 400 days and 1,000 occurrences; cancelled ones only when asked.',
  })
  occurrences(
    @Ctx() ctx: Context,
    @Root() e: EventRow,
    @Arg('includeCancelled', () => Boolean, { nullable: true, defaultValue: false }) includeCancelled: boolean,
    @Arg('from', () => DateTime, { nullable: true, description: 'Default: 4 weeks ago.' }) from?: Date | null,
    @Arg('to', () => DateTime, { nullable: true, description: 'Default: 4 weeks after from (4 weeks after now when from is omitted too).' }) to?: Date | null,
  ) {
    requireChurchRole(ctx.auth, e.churchId, 'viewer', 'occurrences');
    const start = from ?? new Date(requestMinute(ctx).getTime() - 28 * 86_400_000);
    const end = to ?? new Date(start.getTime() + (from ? 28 : 56) * 86_400_000);
    return occurrencesBetween(ctx, e, start, end, { includeCancelled });
  }

  @FieldResolver(() => Occurrence, { nullable: true, description: 'The next occurrence not cancelled, within a year.' })
  nextOccurrence(@Ctx() ctx: Context, @Root() e: EventRow) {
    requireChurchRole(ctx.auth, e.churchId, 'viewer', 'nextOccurrence');
    return nextOccurrence(ctx, e);
  }

  @Mutation(() => Event)
  createEvent(@Ctx() ctx: Context, @Arg('input', () => CreateEventInput) input: CreateEventInput) {
    return createEvent({ scope: ctx, input });
  }

  @Mutation(() => Event)
  updateEvent(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateEventInput) input: UpdateEventInput) {
    return updateEvent({ scope: ctx, id, input });
  }
}

@Resolver(() => Occurrence)
export class OccurrenceResolver {
  @Query(() => Occurrence, { description: 'An occurrence by id (eventId@start).' })
  occurrence(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return getOccurrence({ scope: ctx, id });
  }

  @FieldResolver(() => Int, { description: 'People checked in by name.' })
  checkedInCount(@Ctx() ctx: Context, @Root() o: OccurrenceRow) {
    requireChurchRole(ctx.auth, o.event.churchId, 'viewer', 'checkedInCount');
    return ctx.loaders.checkInCount.load({ eventId: o.event.id, start: o.originalStart });
  }

  @FieldResolver(() => Int, { description: 'checkedInCount + headcount.' })
  async attendance(@Ctx() ctx: Context, @Root() o: OccurrenceRow) {
    requireChurchRole(ctx.auth, o.event.churchId, 'viewer', 'attendance');
    return (await ctx.loaders.checkInCount.load({ eventId: o.event.id, start: o.originalStart })) + o.headcount;
  }

  @FieldResolver(() => CheckInConnection, { description: 'People checked in (first ≤ 100).' })
  checkIns(
    @Ctx() ctx: Context,
    @Root() o: OccurrenceRow,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listCheckIns({ scope: ctx, o, first, after });
  }

  @Mutation(() => Occurrence, { description: 'Cancels one occurrence (STAFF). One with check-ins must have them undone first.' })
  cancelOccurrence(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return cancelOccurrence({ scope: ctx, id });
  }

  @Mutation(() => Occurrence, { description: 'Takes a cancellation back.' })
  restoreOccurrence(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return restoreOccurrence({ scope: ctx, id });
  }

  @Mutation(() => Occurrence, { description: 'Moves one occurrence (its id stays); endsAt defaults to the event’s duration.' })
  moveOccurrence(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('startsAt', () => DateTime) startsAt: Date,
    @Arg('endsAt', () => DateTime, { nullable: true }) endsAt?: Date | null,
  ) {
    return moveOccurrence({ scope: ctx, id, startsAt, endsAt });
  }

  @Mutation(() => Occurrence, { description: 'People present without names (a count at the door).' })
  setHeadcount(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('headcount', () => Int) headcount: number) {
    return setHeadcount({ scope: ctx, id, headcount });
  }
}

@Resolver()
export class CheckInResolver {
  @Mutation(() => CheckInResult, { description: 'Checks people in (at most 50; twice is once). STAFF, or a check-in token.' })
  checkIn(@Ctx() ctx: Context, @Arg('occurrenceId', () => ID) occurrenceId: string, @Arg('memberIds', () => [ID]) memberIds: string[]) {
    return checkIn({ scope: ctx, occurrenceId, memberIds });
  }

  @Mutation(() => CheckInResult, { description: 'Checks in everyone of a household. STAFF, or a check-in token.' })
  checkInHousehold(@Ctx() ctx: Context, @Arg('occurrenceId', () => ID) occurrenceId: string, @Arg('householdId', () => ID) householdId: string) {
    return checkInHousehold({ scope: ctx, occurrenceId, householdId });
  }

  @Mutation(() => UndoCheckInPayload, { description: 'Takes one check-in back (STAFF).' })
  undoCheckIn(@Ctx() ctx: Context, @Arg('occurrenceId', () => ID) occurrenceId: string, @Arg('memberId', () => ID) memberId: string) {
    return undoCheckIn({ scope: ctx, occurrenceId, memberId });
  }

  @Mutation(() => RecordAttendanceResult, {
    description: 'A whole service at once (STAFF): up to 5,000 people and a headcount; all or nothing, with per-row errors.',
  })
  recordAttendance(
    @Ctx() ctx: Context,
    @Arg('occurrenceId', () => ID) occurrenceId: string,
    @Arg('memberIds', () => [ID]) memberIds: string[],
    @Arg('headcount', () => Int, { nullable: true }) headcount?: number | null,
  ) {
    return recordAttendance({ scope: ctx, occurrenceId, memberIds, headcount });
  }

  @Query(() => [CheckInPerson], { description: 'Find people to check in by a name or phone fragment (at most 20). STAFF, or a check-in token.' })
  checkInSearch(@Ctx() ctx: Context, @Arg('churchId', () => ID) churchId: string, @Arg('search', () => String) search: string) {
    return checkInSearch({ scope: ctx, churchId, search });
  }

  @Query(() => [CheckInOccurrence], { description: 'Today’s occurrences (church-local day). STAFF, or a check-in token.' })
  async checkInOccurrences(@Ctx() ctx: Context, @Arg('churchId', () => ID) churchId: string) {
    const list = await checkInOccurrences({ scope: ctx, churchId });
    return list.map((o) => ({ id: o.id, eventName: o.event.name, location: o.event.location, startsAt: o.startsAt, endsAt: o.endsAt }));
  }

  @Query(() => AttendanceReport, { description: 'An event series’ attendance per week, average, first-time and returning guests.' })
  attendance(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('eventId', () => ID) eventId: string,
    @Arg('from', () => LocalDate, { nullable: true, description: 'Default: 12 weeks before to.' }) from?: string | null,
    @Arg('to', () => LocalDate, { nullable: true, description: 'Default: today (church-local).' }) to?: string | null,
  ) {
    return attendanceReport({ scope: ctx, churchId, eventId, from, to });
  }

  @Query(() => LapsedConnection, { description: 'Regulars and members who have stopped coming (see LapsedInput), by name.' })
  lapsedPeople(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('rule', () => LapsedInput, { nullable: true }) rule?: LapsedInput | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listLapsed({ scope: ctx, churchId, rule: rule ?? {}, first, after });
  }
}
