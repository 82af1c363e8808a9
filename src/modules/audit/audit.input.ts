import { Field, ID, InputType } from 'type-graphql';
import { DateTime } from '../../graphql/scalars.js';

@InputType({ description: 'All given conditions must hold.' })
export class AuditFilter {
  @Field(() => String, { nullable: true, description: 'Member, Household, Group, GroupMembership, ChurchRole, Consent, Message, Merge…' }) entity?: string | null;
  @Field(() => ID, { nullable: true, description: 'With entity: one thing’s history.' }) entityId?: string | null;
  @Field(() => ID, { nullable: true }) actorUserId?: string | null;
  @Field(() => String, { nullable: true }) action?: string | null;
  @Field(() => DateTime, { nullable: true, description: 'At or after.' }) from?: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'Before.' }) to?: Date | null;
}
