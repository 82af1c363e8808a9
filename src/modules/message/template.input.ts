import { Field, ID, InputType } from 'type-graphql';
import { TemplateChannel } from '../../graphql/enums.js';

@InputType({ description: 'A saved message: a name and a body (an email\'s also a subject) with merge fields ({firstName} {lastName} {fullName} {churchName} {field.<key>}).' })
export class CreateTemplateInput {
  @Field(() => ID) churchId!: string;
  @Field(() => String, { description: '1-120 characters, unique among the church\'s live templates (case-insensitive).' }) name!: string;
  @Field(() => String, { description: 'SMS: 1-1,600 characters; EMAIL: 1-50,000. Merge fields are checked on save.' }) body!: string;
  @Field(() => TemplateChannel, { nullable: true, defaultValue: 'sms' }) channel?: TemplateChannel;
  @Field(() => String, { nullable: true, description: 'EMAIL only, and required there: 1-200 characters on one line (merge fields allowed).' }) subject?: string | null;
}

@InputType()
export class UpdateTemplateInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) body?: string;
  @Field(() => String, { nullable: true, description: 'EMAIL templates only.' }) subject?: string;
}
