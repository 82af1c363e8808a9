import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { MemberStatus, MessageChannel, RecipientStatus } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';
import { LapsedInput } from '../event/event.input.js';

/** How far in the past a scheduleAt may be and still mean "now": a client's clock may run a little behind. */
export const SCHEDULE_SKEW_MS = 60_000;

@InputType({ description: 'Who gets a text: the union of the parts given (at least one).' })
export class AudienceInput {
  @Field(() => Boolean, { nullable: true, description: 'Everyone active: visitors, regulars and members.' })
  everyone?: boolean;
  @Field(() => [MemberStatus], { nullable: true }) statuses?: MemberStatus[];
  @Field(() => [ID], { nullable: true, description: 'Members of any of these groups (at most 100).' }) groupIds?: string[];
  @Field(() => [ID], { nullable: true, description: 'These people (at most 5,000).' }) memberIds?: string[];
  @Field(() => LapsedInput, { nullable: true, description: 'Regulars and members who have stopped coming (as lapsedPeople), as of the send.' })
  lapsed?: LapsedInput | null;
  @Field(() => [ID], { nullable: true, description: 'The people of these smart lists as of the send (at most 10 lists).' }) smartListIds?: string[] | null;
}

@ArgsType()
export class SendMessageArgs {
  @Field(() => ID) churchId!: string;
  @Field(() => String, {
    nullable: true,
    description:
      'A text: 1-1,600 characters. An email: 1-50,000 characters (plain text; links stay as written). ' +
      'May hold merge fields {firstName} {lastName} {fullName} {churchName}. Or templateId.',
  })
  body?: string | null;
  @Field(() => ID, { nullable: true, description: "A saved template's body instead of body (not archived; of the same channel)." }) templateId?: string | null;
  @Field(() => MessageChannel, { nullable: true, defaultValue: 'sms', description: 'SMS (the default) or EMAIL.' }) channel?: MessageChannel;
  @Field(() => String, { nullable: true, description: 'EMAIL only, and required there: 1-200 characters on one line.' }) subject?: string | null;
  @Field(() => AudienceInput) audience!: AudienceInput;
  @Field(() => DateTime, {
    nullable: true,
    description:
      `Send later (within a year). Quiet hours still apply unless urgent. A time in the past is refused (BAD_USER_INPUT) ` +
      `unless it is at most ${SCHEDULE_SKEW_MS / 1000} s ago (clock skew), which sends now; omit it to send now.`,
  })
  scheduleAt?: Date | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Ignore quiet hours.' }) urgent?: boolean;
}

@ArgsType()
export class RecipientsArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20 }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
  @Field(() => RecipientStatus, { nullable: true }) status?: RecipientStatus;
}
