import { Field, ID, InputType } from 'type-graphql';
import { GroupKind, GroupRole } from '../../graphql/enums.js';
import { LocalDate } from '../../graphql/scalars.js';

@InputType()
export class CreateGroupInput {
  @Field(() => ID) churchId!: string;
  @Field(() => String) name!: string;
  @Field(() => GroupKind, { nullable: true, defaultValue: GroupKind.SMALL_GROUP }) kind?: GroupKind;
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType()
export class UpdateGroupInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => GroupKind, { nullable: true }) kind?: GroupKind;
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType()
export class AddGroupMemberInput {
  @Field(() => ID) groupId!: string;
  @Field(() => ID) memberId!: string;
  @Field(() => GroupRole, { nullable: true, defaultValue: GroupRole.MEMBER }) role?: GroupRole;
  @Field(() => LocalDate, { nullable: true, description: 'Defaults to today in the church time zone.' })
  joinedOn?: string | null;
}
