import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { MessageChannel } from '../../graphql/enums.js';
import { LocalDate } from '../../graphql/scalars.js';
import { AnalyticsPreset } from './analytics.input.js';

@ObjectType({ simpleResolvers: true, description: 'Messaging figures of one channel (emails: "texts sent" are emails the mail server accepted; no segments, no cost).' })
export class ChannelMessagingStats {
  @Field(() => MessageChannel) channel!: MessageChannel;
  @Field(() => Int) messages!: number;
  @Field(() => Int) recipients!: number;
  @Field(() => Int, { description: 'Handed to the provider (texts) or accepted by the mail server (emails).' }) textsSent!: number;
  @Field(() => Int) delivered!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) unconfirmed!: number;
  @Field(() => Float, { nullable: true }) deliveryRate!: number | null;
  @Field(() => Int) segments!: number;
  @Field(() => Float) estimatedCost!: number;
}

@ObjectType({ simpleResolvers: true, description: "Calendar dates in the church's time zone, both included." })
export class AnalyticsPeriod {
  @Field(() => AnalyticsPreset, { nullable: true, description: 'The preset asked for; null for a custom from/to.' })
  preset!: AnalyticsPreset | null;
  @Field(() => LocalDate) from!: string;
  @Field(() => LocalDate) to!: string;
  @Field(() => String, { description: 'The IANA zone the dates are read in (the church’s).' }) timeZone!: string;
}

@ObjectType({ simpleResolvers: true, description: 'Non-archived people by their current status.' })
export class StatusCounts {
  @Field(() => Int) visitor!: number;
  @Field(() => Int) regular!: number;
  @Field(() => Int) member!: number;
  @Field(() => Int) inactive!: number;
  @Field(() => Int) total!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Growth in one calendar month, counting only dates inside the period.' })
export class MonthlyGrowth {
  @Field(() => String, { description: 'YYYY-MM' }) month!: string;
  @Field(() => Int, { description: 'People whose joinedOn falls in the month.' }) joined!: number;
  @Field(() => Int, { description: 'People whose inactivatedOn falls in the month.' }) inactivated!: number;
  @Field(() => Int, { description: 'joined - inactivated' }) netGrowth!: number;
}

@ObjectType({ simpleResolvers: true })
export class GroupParticipation {
  @Field(() => Int, { description: 'Non-archived people who are not INACTIVE.' }) activeMembers!: number;
  @Field(() => Int, { description: 'Of those, people in at least one group.' }) inGroups!: number;
  @Field(() => Float, { description: 'inGroups / activeMembers, 0..1 (0 when nobody is active).' }) share!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Texts of messages whose sendAt falls in the period.' })
export class MessagingStats {
  @Field(() => Int, { description: 'Messages, leaving out those cancelled before any text went to the provider.' })
  messages!: number;
  @Field(() => Int, { description: 'Eligible recipients of those messages (not skipped).' }) recipients!: number;
  @Field(() => Int, { description: 'Texts handed to the provider (they have a provider id), and emails the mail server accepted.' }) textsSent!: number;
  @Field(() => Int) delivered!: number;
  @Field(() => Int, { description: 'Undelivered or failed.' }) failed!: number;
  @Field(() => Int, { description: 'Sent, but the provider never confirmed an outcome by the reconcile horizon.' }) unconfirmed!: number;
  @Field(() => Float, {
    nullable: true,
    description: 'delivered / (delivered + failed): known outcomes only (not SENT, not UNCONFIRMED); null before any outcome.',
  })
  deliveryRate!: number | null;
  @Field(() => Int, { description: 'Segments of the texts sent (a long text is billed per segment; emails have none).' }) segments!: number;
  @Field(() => Float, { description: 'Sum of the messages’ cost estimates at send time.' }) estimatedCost!: number;
  @Field(() => [ChannelMessagingStats], { description: 'The same figures for texts and for emails (a channel without messages in the period is left out).' })
  byChannel!: ChannelMessagingStats[];
}

@ObjectType({ simpleResolvers: true, description: 'Dashboard numbers of one church over a period. Archived people count nowhere.' })
export class Analytics {
  @Field(() => ID) churchId!: number;
  @Field(() => AnalyticsPeriod) period!: AnalyticsPeriod;
  @Field(() => StatusCounts) membersByStatus!: StatusCounts;
  @Field(() => Int, { description: 'People whose joinedOn falls in the period.' }) newMembers!: number;
  @Field(() => Int, { description: 'People whose firstVisitOn falls in the period.' }) firstTimeVisitors!: number;
  @Field(() => Int, { description: 'Of those first-time visitors, how many are now REGULAR or MEMBER.' })
  returningVisitors!: number;
  @Field(() => [MonthlyGrowth], { description: 'One row per calendar month the period touches, oldest first.' })
  monthly!: MonthlyGrowth[];
  @Field(() => Int, { description: 'Households with at least one non-archived person.' }) households!: number;
  @Field(() => GroupParticipation) groupParticipation!: GroupParticipation;
  @Field(() => MessagingStats) messaging!: MessagingStats;
}
