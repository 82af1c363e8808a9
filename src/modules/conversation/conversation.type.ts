import { Field, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../graphql/connection.js';
import { ConversationDirection, ConversationState, RecipientStatus } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: "The inbox: texts between a church and one phone number, and who is on it." })
export class Conversation {
  @Field(() => ID) id!: number;
  churchId!: number;
  @Field(() => String, { description: 'The number (E.164) that wrote to the church.' }) phone!: string;
  @Field(() => ConversationState) state!: ConversationState;
  @Field(() => Int, { description: 'Texts in since staff last read it (markConversationRead) or replied.' }) unreadCount!: number;
  assigneeId!: number | null;
  @Field(() => DateTime, { description: 'The last text in, or reply out.' }) lastActivityAt!: Date;
  @Field(() => DateTime, { nullable: true }) lastInboundAt!: Date | null;
  @Field(() => DateTime) createdAt!: Date;
}

export const { Conn: ConversationConnection } = connectionTypes('Conversation', Conversation);

@ObjectType({ simpleResolvers: true, description: 'One text of a conversation: in from the person, or out from the church (a reply or a bulk text).' })
export class ConversationMessage {
  @Field(() => ID) id!: number;
  @Field(() => ID) conversationId!: number;
  @Field(() => ConversationDirection) direction!: ConversationDirection;
  @Field(() => String, { description: 'What was received, or what was sent (merge fields filled).' }) body!: string;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => RecipientStatus, { nullable: true, description: "Outbound: the text's delivery status now. Null for inbound (or an archived text)." })
  status!: RecipientStatus | null;
  @Field(() => DateTime, { nullable: true }) sentAt!: Date | null;
  @Field(() => DateTime, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => ID, { nullable: true, description: 'Outbound: the message (sendMessage or a reply) it belongs to.' }) messageId!: number | null;
  authorId!: number | null;
  churchId!: number;
}

export const { Conn: ConversationMessageConnection } = connectionTypes('ConversationMessage', ConversationMessage);

@ObjectType({ simpleResolvers: true, description: 'What a simulated inbound text did (development only: simulateInboundText).' })
export class SimulatedInboundText {
  @Field(() => String, { nullable: true, description: "What the church's number answers (STOP, START, HELP); null for none." }) reply!: string | null;
  @Field(() => String, { description: 'The MessageSid it was recorded under (give it again to replay the same text).' }) messageSid!: string;
  @Field(() => Conversation, { nullable: true, description: 'The conversation it landed in; null for a keyword (consent, not a conversation).' }) conversation!: unknown;
  @Field(() => ConversationMessage, { nullable: true, description: 'The text in the thread; null for a keyword.' }) message!: unknown;
}
