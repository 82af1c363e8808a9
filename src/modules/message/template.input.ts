import { Field, ID, InputType } from 'type-graphql';
import { TemplateChannel } from '../../graphql/enums.js';

@InputType({ description: 'A saved message: a name and a body with merge fields ({firstName} {lastName} {fullName} {churchName}).' })
export class CreateTemplateInput {
  @Field(() => ID) churchId!: string;
  @Field(() => String, { description: '1-120 characters, unique among the church\'s live templates (case-insensitive).' }) name!: string;
  @Field(() => String, { description: '1-1,600 characters; merge fields are checked on save.' }) body!: string;
  @Field(() => TemplateChannel, { nullable: true, defaultValue: 'sms' }) channel?: TemplateChannel;
}

@InputType()
export class UpdateTemplateInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) body?: string;
}
