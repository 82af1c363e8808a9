import { Field, ID, InputType } from 'type-graphql';
import { ApiTokenKind, ChurchRole } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';

@InputType({ description: 'Gives a person a role in a church, creating their account if the email is new.' })
export class AddChurchUserInput {
  @Field(() => ID) churchId!: string;
  @Field(() => String) email!: string;
  @Field(() => String, { nullable: true, description: 'Required when the account is new.' }) name?: string | null;
  @Field(() => String, { nullable: true, description: 'Required when the account is new: 12-200 characters.' })
  password?: string | null;
  @Field(() => ChurchRole) role!: ChurchRole;
}

@InputType()
export class CreateApiTokenInput {
  @Field(() => String, { description: 'What the token is for, e.g. "nightly export".' }) name!: string;
  @Field(() => DateTime, { nullable: true, description: 'No expiry when omitted.' }) expiresAt?: Date | null;
  @Field(() => ApiTokenKind, {
    nullable: true,
    defaultValue: ApiTokenKind.FULL,
    description: 'CHECK_IN: a door tablet token for churchId (ADMIN there) that can only find people and check them in.',
  })
  kind?: ApiTokenKind | null;
  @Field(() => ID, { nullable: true, description: 'Required for CHECK_IN tokens; not allowed for FULL ones.' }) churchId?: string | null;
}
