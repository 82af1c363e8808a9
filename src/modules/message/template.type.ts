import { Field, ID, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../graphql/connection.js';
import { TemplateChannel } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: "A church's saved message: sendMessage/previewMessage(templateId) use its body (and an email's subject)." })
export class MessageTemplate {
  @Field(() => ID) id!: number;
  churchId!: number;
  @Field(() => String) name!: string;
  @Field(() => String) body!: string;
  @Field(() => TemplateChannel) channel!: TemplateChannel;
  @Field(() => String, { nullable: true, description: "EMAIL: the subject line (merge fields allowed); null for a text's." }) subject!: string | null;
  @Field(() => DateTime, { nullable: true, description: 'Archived templates cannot be sent or edited.' }) archivedAt!: Date | null;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
}

export const { Conn: MessageTemplateConnection } = connectionTypes('MessageTemplate', MessageTemplate);
