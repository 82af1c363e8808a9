import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { ConversationState } from '../../graphql/enums.js';
import { User } from '../auth/auth.type.js';
import { userById } from '../auth/auth.queries.js';
import { Church } from '../church/church.type.js';
import { Member } from '../member/member.type.js';
import { Message } from '../message/message.type.js';
import { requireChurchRole } from '../viewer.js';
import { ConversationsArgs } from './conversation.input.js';
import type { ConversationRow, ThreadMessage } from './conversation.queries.js';
import { assign, getConversation, listConversations, listThread, markRead, reply, setState } from './conversation.service.js';
import { subscribeToConversationUpdates, subscribeToInboxMessages } from './conversation.subscription.js';
import { Conversation, ConversationConnection, ConversationMessage, ConversationMessageConnection, SimulatedInboundText } from './conversation.type.js';
import { simulateInbound } from './simulate.service.js';

@Resolver(() => Conversation)
export class ConversationResolver {
  @Query(() => ConversationConnection, { description: "A church's inbox, latest activity first (first ≤ 100); filter by state, assignee, unread." })
  conversations(@Ctx() ctx: Context, @Args(() => ConversationsArgs) args: ConversationsArgs) {
    return listConversations({ scope: ctx, args });
  }

  @Query(() => Conversation)
  conversation(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return getConversation({ scope: ctx, id });
  }

  @Mutation(() => ConversationMessage, { description: 'Texts the person back (STAFF): one text through the outbox; quiet hours unless urgent; a number that opted out is refused.' })
  replyToConversation(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('body', () => String, { description: '1-1,600 characters, sent as written.' }) body: string,
    @Arg('urgent', () => Boolean, { nullable: true, defaultValue: false }) urgent: boolean,
  ) {
    return reply({ scope: ctx, id, body, urgent: urgent ?? false });
  }

  @Mutation(() => Conversation, { description: 'Assigns it to a STAFF (or higher) user of the church, or to nobody with userId: null (STAFF).' })
  assignConversation(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('userId', () => ID, { nullable: true }) userId: string | null) {
    return assign({ scope: ctx, id, userId: userId ?? null });
  }

  @Mutation(() => Conversation, { description: 'Closes or reopens it (STAFF); a new text from the number reopens it.' })
  setConversationState(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('state', () => ConversationState) state: ConversationState) {
    return setState({ scope: ctx, id, state });
  }

  @Mutation(() => SimulatedInboundText, {
    description:
      'Development only (SMS_PROVIDER=log, not production; FORBIDDEN otherwise): a text from `from` to the church\'s number, ' +
      'through the same path as the Twilio webhook (STOP/START/HELP are consent and answered; anything else lands in the inbox, once per messageSid). STAFF.',
  })
  simulateInboundText(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('from', () => String, { description: 'The sender\'s phone, any usual way of writing it.' }) from: string,
    @Arg('body', () => String) body: string,
    @Arg('messageSid', () => String, { nullable: true, description: 'Default: a new one. The same one again is the webhook delivered twice.' }) messageSid?: string,
  ) {
    return simulateInbound({ scope: ctx, churchId, from, body, messageSid });
  }

  @Mutation(() => Conversation, { description: 'Unread count to 0 (STAFF).' })
  markConversationRead(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return markRead({ scope: ctx, id });
  }

  @Subscription(() => ConversationMessage, {
    description: "Texts that come in to the church's inbox (the viewer needs a role in the church).",
    subscribe: ({ args, context }) => subscribeToInboxMessages(context as Context, args.churchId as string),
  })
  inboxMessageReceived(@Root() m: ThreadMessage, @Arg('churchId', () => ID) _churchId: string): ThreadMessage {
    return m;
  }

  @Subscription(() => Conversation, {
    description: "The church's conversations as they change: a text in or out, state, assignee, read (the viewer needs a role in the church).",
    subscribe: ({ args, context }) => subscribeToConversationUpdates(context as Context, args.churchId as string),
  })
  conversationUpdated(@Root() c: ConversationRow, @Arg('churchId', () => ID) _churchId: string): ConversationRow {
    return c;
  }

  @FieldResolver(() => Church)
  church(@Ctx() ctx: Context, @Root() c: ConversationRow) {
    return ctx.loaders.church.load(c.churchId);
  }

  @FieldResolver(() => [Member], { description: 'Members holding this number now (household heads first); empty when unknown.' })
  async members(@Ctx() ctx: Context, @Root() c: ConversationRow) {
    const ids = await ctx.loaders.conversationMembers.load(`${c.churchId}:${c.phone}`);
    return (await ctx.loaders.member.loadMany(ids)).filter((m) => m && !(m instanceof Error));
  }

  @FieldResolver(() => Boolean, { description: 'No member holds this number.' })
  async unknown(@Ctx() ctx: Context, @Root() c: ConversationRow) {
    return (await ctx.loaders.conversationMembers.load(`${c.churchId}:${c.phone}`)).length === 0;
  }

  @FieldResolver(() => User, { nullable: true })
  async assignee(@Ctx() ctx: Context, @Root() c: ConversationRow) {
    requireChurchRole(ctx.auth, c.churchId, 'viewer', 'assignee');
    return c.assigneeId ? ((await userById(ctx.db, c.assigneeId)) ?? null) : null;
  }

  @FieldResolver(() => ConversationMessageConnection, { description: 'The thread, oldest first (first ≤ 100): texts in, replies and bulk texts out.' })
  messages(
    @Ctx() ctx: Context,
    @Root() c: ConversationRow,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listThread({ scope: ctx, conversation: c, first, after });
  }
}

@Resolver(() => ConversationMessage)
export class ConversationMessageResolver {
  @FieldResolver(() => User, { nullable: true, description: 'Who wrote a reply or sent a bulk text.' })
  async author(@Ctx() ctx: Context, @Root() m: ThreadMessage) {
    requireChurchRole(ctx.auth, m.churchId, 'viewer', 'author');
    return m.authorId ? ((await userById(ctx.db, m.authorId)) ?? null) : null;
  }

  @FieldResolver(() => Message, { nullable: true })
  message(@Ctx() ctx: Context, @Root() m: ThreadMessage) {
    return m.messageId ? ctx.loaders.message.load(m.messageId) : null;
  }

  @FieldResolver(() => Conversation, { nullable: true })
  conversation(@Ctx() ctx: Context, @Root() m: ThreadMessage) {
    return ctx.loaders.conversation.load(m.conversationId);
  }
}
