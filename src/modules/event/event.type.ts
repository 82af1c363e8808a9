import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes, PageInfo } from '../../graphql/connection.js';
import { CheckInVia } from '../../graphql/enums.js';
import { DateTime, LocalDate } from '../../graphql/scalars.js';
import { Member } from '../member/member.type.js';

@ObjectType({ simpleResolvers: true, description: 'An event: a service, a class, a group’s meeting; one-off or recurring.' })
export class Event {
  @Field(() => ID) id!: number;
  churchId!: number;
  groupId!: number | null;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => String, { nullable: true }) location!: string | null;
  @Field(() => String, { description: 'IANA zone the local times are in.' }) timeZone!: string;
  @Field(() => String, { description: 'The first occurrence’s local start, YYYY-MM-DDTHH:MM.' }) startsLocal!: string;
  @Field(() => Int) durationMinutes!: number;
  @Field(() => String, { nullable: true, description: 'RRULE without DTSTART; null for a one-off event.' }) rrule!: string | null;
  @Field(() => DateTime, { nullable: true }) archivedAt!: Date | null;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
}

export const { Conn: EventConnection } = connectionTypes('Event', Event);

@ObjectType({ simpleResolvers: true, description: 'One occurrence of an event; its id stays the same when it is moved.' })
export class Occurrence {
  @Field(() => ID, { description: 'eventId@start (the start the rule gives it)' }) id!: string;
  @Field(() => Event) event!: Event;
  @Field(() => DateTime) startsAt!: Date;
  @Field(() => DateTime) endsAt!: Date;
  @Field(() => DateTime, { description: 'The start the rule gives it (differs from startsAt when moved).', name: 'originalStartsAt' })
  originalStart!: Date;
  @Field(() => Boolean) cancelled!: boolean;
  @Field(() => Boolean) moved!: boolean;
  @Field(() => Int, { description: 'People counted without names.' }) headcount!: number;
}

@ObjectType({ simpleResolvers: true })
export class CheckInEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Member) node!: Member;
  @Field(() => DateTime) checkedInAt!: Date;
  @Field(() => CheckInVia) via!: CheckInVia;
}

@ObjectType({ simpleResolvers: true })
export class CheckInConnection {
  @Field(() => [CheckInEdge]) edges!: CheckInEdge[];
  @Field(() => [Member]) nodes!: Member[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int, { simple: false }) totalCount!: number;
}

@ObjectType({ simpleResolvers: true, description: 'What a check-in screen may show of a person: a name and a household, nothing else.' })
export class CheckInPerson {
  @Field(() => ID) id!: number;
  @Field(() => String) firstName!: string;
  @Field(() => String) lastName!: string;
  @Field(() => ID, { nullable: true }) householdId!: number | null;
  @Field(() => String, { nullable: true }) householdName!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'An occurrence as a check-in screen sees it.' })
export class CheckInOccurrence {
  @Field(() => ID) id!: string;
  @Field(() => String) eventName!: string;
  @Field(() => String, { nullable: true }) location!: string | null;
  @Field(() => DateTime) startsAt!: Date;
  @Field(() => DateTime) endsAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class CheckInResult {
  @Field(() => ID) occurrenceId!: string;
  @Field(() => Int, { description: 'People checked in by this call.' }) checkedIn!: number;
  @Field(() => Int, { description: 'People who already were (twice is once).' }) alreadyCheckedIn!: number;
  @Field(() => [CheckInPerson]) people!: CheckInPerson[];
}

@ObjectType({ simpleResolvers: true })
export class UndoCheckInPayload {
  @Field(() => ID) occurrenceId!: string;
  @Field(() => ID) memberId!: number;
  @Field(() => Boolean) removed!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class AttendanceRowError {
  @Field(() => Int, { description: 'Row number (position in memberIds), from 1.' }) row!: number;
  @Field(() => String) field!: string;
  @Field(() => String) message!: string;
}

@ObjectType({ simpleResolvers: true, description: 'Either every row was recorded (errors empty) or none was (errors lists each problem).' })
export class RecordAttendanceResult {
  @Field(() => Int) recorded!: number;
  @Field(() => Int) alreadyCheckedIn!: number;
  @Field(() => Int, { nullable: true, description: 'The headcount stored, when one was given.' }) headcount!: number | null;
  @Field(() => [AttendanceRowError]) errors!: AttendanceRowError[];
}

@ObjectType({ simpleResolvers: true })
export class AttendanceWeek {
  @Field(() => LocalDate, { description: 'Monday of the week (local).' }) weekStart!: string;
  @Field(() => Int) occurrences!: number;
  @Field(() => Int, { description: 'Named check-ins.' }) checkedIn!: number;
  @Field(() => Int) headcount!: number;
  @Field(() => Int, { description: 'checkedIn + headcount' }) total!: number;
}

@ObjectType({ simpleResolvers: true, description: 'An event series’ attendance in a window of dates (occurrences already started).' })
export class AttendanceReport {
  @Field(() => Event) event!: Event;
  @Field(() => LocalDate) from!: string;
  @Field(() => LocalDate) to!: string;
  @Field(() => String) timeZone!: string;
  @Field(() => [AttendanceWeek]) weeks!: AttendanceWeek[];
  @Field(() => Int) occurrences!: number;
  @Field(() => Int) totalAttendance!: number;
  @Field(() => Float, { description: 'Per occurrence held, one decimal.' }) averageAttendance!: number;
  @Field(() => Int, { description: 'People whose first check-in to this series was in the window.' }) firstTimeGuests!: number;
  @Field(() => Int, { description: 'People whose second check-in to this series was in the window.' }) returningGuests!: number;
}

@ObjectType({ simpleResolvers: true })
export class LapsedEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Member) node!: Member;
  @Field(() => Int, { description: 'Check-ins in the earlier window.' }) attended!: number;
  @Field(() => DateTime) lastAttendedAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class LapsedConnection {
  @Field(() => [LapsedEdge]) edges!: LapsedEdge[];
  @Field(() => [Member]) nodes!: Member[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int, { simple: false }) totalCount!: number;
}
