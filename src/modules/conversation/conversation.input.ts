import { ArgsType, Field, ID, Int } from 'type-graphql';
import { ConversationState } from '../../graphql/enums.js';

@ArgsType()
export class ConversationsArgs {
  @Field(() => ID) churchId!: string;
  @Field(() => ConversationState, { nullable: true, description: 'OPEN or CLOSED; omit for both.' }) state?: ConversationState | null;
  @Field(() => ID, { nullable: true, description: 'Only those assigned to this user.' }) assigneeId?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true: with unread texts; false: without.' }) unread?: boolean | null;
  @Field(() => Int, { nullable: true, defaultValue: 20 }) first?: number;
  @Field(() => String, { nullable: true }) after?: string | null;
}
