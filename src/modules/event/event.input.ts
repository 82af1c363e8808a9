import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'An event: one-off, or recurring by an RRULE, in its time zone (the church’s by default).' })
export class CreateEventInput {
  @Field(() => ID) churchId!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true }) location?: string | null;
  @Field(() => String, { description: 'The first occurrence’s local start, YYYY-MM-DDTHH:MM, in the event’s time zone.' })
  startsLocal!: string;
  @Field(() => Int, { nullable: true, description: 'Minutes, 1-10080 (default 60).' }) durationMinutes?: number | null;
  @Field(() => String, {
    nullable: true,
    description: 'RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=SU (DAILY, WEEKLY, MONTHLY or YEARLY). None: a one-off event.',
  })
  rrule?: string | null;
  @Field(() => String, { nullable: true, description: 'IANA time zone; the church’s when omitted.' }) timeZone?: string | null;
  @Field(() => ID, { nullable: true, description: 'A group whose meeting this is.' }) groupId?: string | null;
}

@InputType({ description: 'Only given fields change; null clears description, location, rrule and groupId.' })
export class UpdateEventInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true }) location?: string | null;
  @Field(() => String, { nullable: true }) startsLocal?: string;
  @Field(() => Int, { nullable: true }) durationMinutes?: number | null;
  @Field(() => String, { nullable: true }) rrule?: string | null;
  @Field(() => String, { nullable: true }) timeZone?: string | null;
  @Field(() => ID, { nullable: true }) groupId?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Archived events leave lists and take no check-ins.' }) archived?: boolean | null;
}

@InputType({
  description:
    'Lapsed: regulars and members who attended at least minAttendances times in the previousWeeks weeks before the last absentWeeks weeks, and not at all in the last absentWeeks weeks.',
})
export class LapsedInput {
  @Field(() => ID, { nullable: true, description: 'Count only this event series (default: every event of the church).' }) eventId?: string | null;
  @Field(() => Int, { nullable: true, defaultValue: 3, description: '1-500' }) minAttendances?: number | null;
  @Field(() => Int, { nullable: true, defaultValue: 8, description: '1-104' }) previousWeeks?: number | null;
  @Field(() => Int, { nullable: true, defaultValue: 4, description: '1-104' }) absentWeeks?: number | null;
}
