import { Field, ID, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../graphql/connection.js';
import { HouseholdRole, MemberStatus } from '../../graphql/enums.js';
import { DateTime, LocalDate } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: 'A person known to a church: visitor, regular attender, member or inactive.' })
export class Member {
  @Field(() => ID) id!: number;
  churchId!: number;
  householdId!: number | null;
  @Field(() => String) firstName!: string;
  @Field(() => String) lastName!: string;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true, description: 'E.164, e.g. +15551234567.' }) phone!: string | null;
  @Field(() => MemberStatus) status!: MemberStatus;
  @Field(() => HouseholdRole, { nullable: true }) householdRole!: HouseholdRole | null;
  @Field(() => LocalDate, { nullable: true }) firstVisitOn!: string | null;
  @Field(() => LocalDate, { nullable: true, description: 'When they became a member.' }) joinedOn!: string | null;
  @Field(() => LocalDate, { nullable: true, description: 'When they were last marked inactive (kept if they return).' })
  inactivatedOn!: string | null;
  @Field(() => LocalDate, { nullable: true }) birthDate!: string | null;
  @Field(() => DateTime, { nullable: true, description: 'Set when the person opted out of texts.' })
  smsOptedOutAt!: Date | null;
  @Field(() => String, {
    nullable: true,
    description: 'How they opted out: keyword:STOP, error:21610, staff…',
    deprecationReason: 'Use smsOptedOutVia, named like smsOptedOut and smsOptedOutAt.',
  })
  smsOptOutVia!: string | null;
  @Field(() => DateTime, { nullable: true, description: 'Archived (soft-deleted) members leave every list.' })
  archivedAt!: Date | null;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
}

export const { Edge: MemberEdge, Conn: MemberConnection } = connectionTypes('Member', Member);
