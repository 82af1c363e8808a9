import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import type { MessageProgressEvent } from '../../realtime/topics.js';
import { User } from '../auth/auth.type.js';
import { userById } from '../auth/auth.queries.js';
import { Church } from '../church/church.type.js';
import { getChurch } from '../church/church.service.js';
import { Member } from '../member/member.type.js';
import type { MemberRow } from '../member/member.queries.js';
import { BadInputError } from '../../lib/errors.js';
import { DateTime } from '../../graphql/scalars.js';
import { RecipientsArgs, SendMessageArgs } from './message.input.js';
import type { MessageRow, RecipientRow } from './message.queries.js';
import { audienceOf, cancel, getMessage, listMessages, listRecipients, previewMessage, sendMessage } from './message.service.js';
import {
  DeliveryCounts,
  Message,
  MessageAudience,
  MessageConnection,
  MessagePreview,
  MessageProgress,
  MessageRecipient,
  MessageRecipientConnection,
  MemberMessage,
} from './message.type.js';
import { subscribeToProgress } from './progress.subscription.js';

@Resolver(() => Message)
export class MessageResolver {
  @Query(() => MessagePreview, { description: 'What a send would do: recipients, skips, segments, encoding, cost (STAFF).' })
  previewMessage(@Ctx() ctx: Context, @Args(() => SendMessageArgs) args: SendMessageArgs) {
    return previewMessage({ scope: ctx, args });
  }

  @Mutation(() => Message, { description: 'Texts (or, with channel EMAIL, emails) an audience (STAFF). Texts: outside quiet hours unless urgent; scheduleAt sends later.' })
  sendMessage(@Ctx() ctx: Context, @Args(() => SendMessageArgs) args: SendMessageArgs) {
    return sendMessage({ scope: ctx, args });
  }

  @Mutation(() => Message, { description: 'Recipients not yet handed to the provider are cancelled (STAFF).' })
  cancelMessage(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return cancel({ scope: ctx, id });
  }

  @Query(() => Message)
  message(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return getMessage({ scope: ctx, id });
  }

  @Query(() => MessageConnection, { description: "A church's messages, newest first." })
  async messages(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    const church = await getChurch({ scope: ctx, id: churchId, field: 'churchId' });
    return listMessages({ scope: ctx, church, first, after });
  }

  @FieldResolver(() => Church)
  church(@Ctx() ctx: Context, @Root() m: MessageRow) {
    return ctx.loaders.church.load(m.churchId);
  }

  @FieldResolver(() => User, { nullable: true })
  author(@Ctx() ctx: Context, @Root() m: MessageRow) {
    return m.authorId ? userById(ctx.db, m.authorId) : null;
  }

  @FieldResolver(() => MessageAudience)
  audience(@Root() m: MessageRow) {
    return audienceOf(m);
  }

  @FieldResolver(() => DeliveryCounts)
  counts(@Ctx() ctx: Context, @Root() m: MessageRow) {
    return ctx.loaders.messageCounts.load(m.id);
  }

  @FieldResolver(() => DateTime, {
    nullable: true,
    description:
      'When this message\'s recipient rows were archived, after the retention (RECIPIENT_RETENTION_MONTHS): ' +
      'its counts stay; its recipients are no longer listed. Null while they are.',
  })
  recipientsArchivedAt(@Root() m: MessageRow): Date | null {
    const at = (m.deliverySummary as { archivedAt?: string } | null)?.archivedAt;
    return at ? new Date(at) : null;
  }

  @FieldResolver(() => MessageRecipientConnection)
  recipients(@Ctx() ctx: Context, @Root() message: MessageRow, @Args(() => RecipientsArgs) args: RecipientsArgs) {
    return listRecipients({ scope: ctx, message, args });
  }

  @Subscription(() => MessageProgress, {
    description: 'Delivery progress of a message, pushed as recipients change (the viewer needs a role in its church).',
    subscribe: ({ args, context }) => subscribeToProgress(context as Context, args.messageId as string),
  })
  messageProgress(@Root() event: MessageProgressEvent, @Arg('messageId', () => ID) _messageId: string): MessageProgress {
    return { ...event, at: new Date(event.at) };
  }
}

@Resolver(() => MessageRecipient)
export class MessageRecipientResolver {
  @FieldResolver(() => Member, { nullable: true, description: 'Null if the person was since deleted (or a reply went to a number no member holds).' })
  member(@Ctx() ctx: Context, @Root() r: RecipientRow) {
    return r.memberId === null ? null : ctx.loaders.member.load(r.memberId);
  }
}

/** A person's latest texts (the message module's, resolved on Member). */
@Resolver(() => Member)
export class MemberMessagesResolver {
  @FieldResolver(() => [MemberMessage], { description: 'The latest texts and emails to this person, newest first (at most 20).' })
  async recentMessages(@Ctx() ctx: Context, @Root() m: MemberRow, @Arg('first', () => Int, { nullable: true, defaultValue: 5 }) first: number) {
    if (!Number.isInteger(first) || first < 0 || first > 20) throw new BadInputError({ field: 'first', message: 'must be 0-20' });
    const rows = first ? await ctx.loaders.recentMessages(first).load(m.id) : [];
    return rows.map((r) => ({
      messageId: r.message_id,
      channel: r.channel,
      body: r.body,
      status: r.status,
      sentAt: r.sent_at ? new Date(r.sent_at) : null,
      deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
      createdAt: new Date(r.created_at),
    }));
  }
}
