import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class CreateHouseholdInput {
  @Field(() => ID) churchId!: string;
  @Field(() => String) name!: string;
}

@InputType()
export class UpdateHouseholdInput {
  @Field(() => String, { nullable: true }) name?: string;
}
