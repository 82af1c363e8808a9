import { Field, InputType } from 'type-graphql';

@InputType()
export class CreateChurchInput {
  @Field(() => String) name!: string;
  @Field(() => String, { description: '3-63 characters: a-z, 0-9 and inner hyphens.' }) slug!: string;
  @Field(() => String, { description: 'IANA time zone, e.g. America/Chicago.' }) timeZone!: string;
  @Field(() => String, { nullable: true }) smsFromNumber?: string | null;
}

@InputType({ description: 'Only the fields given are changed; null clears smsFromNumber, smsHelpText, emailFromName and emailReplyTo.' })
export class UpdateChurchInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) slug?: string;
  @Field(() => String, { nullable: true }) timeZone?: string;
  @Field(() => String, { nullable: true }) smsFromNumber?: string | null;
  @Field(() => String, { nullable: true, description: 'Reply to HELP/INFO texts, at most 320 characters.' }) smsHelpText?: string | null;
  @Field(() => String, { nullable: true, description: "The From name of the church's emails (1-100 characters, one line); null: the church's name." }) emailFromName?: string | null;
  @Field(() => String, { nullable: true, description: "Reply-To of the church's emails (an email address); null: none." }) emailReplyTo?: string | null;
}
