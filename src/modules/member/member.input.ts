import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { HouseholdRole, MemberOrderBy, MemberStatus } from '../../graphql/enums.js';
import { LocalDate } from '../../graphql/scalars.js';
import { CustomFieldFilter, CustomFieldOrder, CustomFieldValueInput } from '../field/field.input.js';

@InputType()
export class MemberFilter {
  @Field(() => [MemberStatus], { nullable: true, description: 'Any of these statuses.' }) status?: MemberStatus[];
  @Field(() => String, { nullable: true, description: 'Fragment of a name, email or phone number (max 100 chars).' })
  search?: string;
  @Field(() => ID, { nullable: true }) groupId?: string;
  @Field(() => ID, { nullable: true }) householdId?: string;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'List archived members instead.' })
  archived?: boolean;
  @Field(() => [ID], { nullable: true, description: 'Has any of these tags (at most 20).' }) tagIds?: string[] | null;
  @Field(() => [CustomFieldFilter], { nullable: true, description: 'Custom field conditions, all of which must hold (at most 10).' })
  customFields?: CustomFieldFilter[] | null;
}

@ArgsType()
export class MembersPageArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100.' }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
  @Field(() => MemberFilter, { nullable: true }) filter?: MemberFilter;
  @Field(() => MemberOrderBy, { nullable: true, defaultValue: MemberOrderBy.NAME }) orderBy?: MemberOrderBy;
  @Field(() => CustomFieldOrder, { nullable: true, description: 'Order by a custom field instead of orderBy (not MULTIPLE_CHOICE).' })
  orderByField?: CustomFieldOrder | null;
}

@InputType()
export class CreateMemberInput {
  @Field(() => ID) churchId!: string;
  @Field(() => String) firstName!: string;
  @Field(() => String) lastName!: string;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true, description: 'Any common format; stored as E.164.' }) phone?: string | null;
  @Field(() => MemberStatus, { nullable: true, defaultValue: MemberStatus.VISITOR }) status?: MemberStatus;
  @Field(() => LocalDate, { nullable: true, description: 'Defaults to today for a VISITOR.' }) firstVisitOn?: string | null;
  @Field(() => LocalDate, { nullable: true, description: 'Defaults to today for a MEMBER.' }) joinedOn?: string | null;
  @Field(() => LocalDate, { nullable: true }) birthDate?: string | null;
  @Field(() => ID, { nullable: true }) householdId?: string | null;
  @Field(() => HouseholdRole, { nullable: true }) householdRole?: HouseholdRole | null;
  @Field(() => [CustomFieldValueInput], { nullable: true, description: 'Custom field values; every required field must be given.' })
  customFields?: CustomFieldValueInput[] | null;
}

@InputType({ description: 'Only the fields given change; null clears an optional field.' })
export class UpdateMemberInput {
  @Field(() => String, { nullable: true }) firstName?: string;
  @Field(() => String, { nullable: true }) lastName?: string;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => MemberStatus, { nullable: true, description: 'Status changes stamp joinedOn / inactivatedOn.' })
  status?: MemberStatus;
  @Field(() => LocalDate, { nullable: true }) firstVisitOn?: string | null;
  @Field(() => LocalDate, { nullable: true }) joinedOn?: string | null;
  @Field(() => LocalDate, { nullable: true }) birthDate?: string | null;
  @Field(() => ID, { nullable: true }) householdId?: string | null;
  @Field(() => HouseholdRole, { nullable: true }) householdRole?: HouseholdRole | null;
  @Field(() => Boolean, {
    nullable: true,
    description: 'true records an opt-out from texts made through staff. Only the person can opt back in (texting START).',
  })
  smsOptedOut?: boolean | null;
  @Field(() => Boolean, {
    nullable: true,
    description: 'The former name of smsOptedOut (same meaning).',
    deprecationReason: 'Use smsOptedOut, named like Member.smsOptedOut, smsOptedOutAt and smsOptedOutVia.',
  })
  smsOptOut?: boolean | null;
  @Field(() => [CustomFieldValueInput], { nullable: true, description: 'Custom field values to set or clear (fields not listed keep theirs); a required one cannot be cleared.' })
  customFields?: CustomFieldValueInput[] | null;
}

@InputType({ description: 'One row of a member import. Dates are YYYY-MM-DD; status is a MemberStatus name.' })
export class ImportMemberRow {
  @Field(() => String) firstName!: string;
  @Field(() => String) lastName!: string;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => String, { nullable: true, description: 'VISITOR, REGULAR, MEMBER or INACTIVE (default VISITOR).' })
  status?: string | null;
  @Field(() => String, { nullable: true }) firstVisitOn?: string | null;
  @Field(() => String, { nullable: true }) joinedOn?: string | null;
  @Field(() => String, { nullable: true }) birthDate?: string | null;
  @Field(() => String, { nullable: true, description: 'Rows with the same name share one new household.' })
  householdName?: string | null;
  @Field(() => String, { nullable: true, description: 'HEAD, SPOUSE, CHILD or OTHER.' }) householdRole?: string | null;
}
