import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../graphql/connection.js';
import { MemberStatus, MessageChannel, MessageStatus, RecipientStatus, SmsEncoding } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: 'Recipients of a message by status.' })
export class DeliveryCounts {
  @Field(() => Int) queued!: number;
  @Field(() => Int) sending!: number;
  @Field(() => Int, { description: 'Accepted by the provider, not yet confirmed delivered.' }) sent!: number;
  @Field(() => Int) delivered!: number;
  @Field(() => Int) undelivered!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) skipped!: number;
  @Field(() => Int) cancelled!: number;
  @Field(() => Int, { description: 'Sent, but the provider never confirmed an outcome (final).' }) unconfirmed!: number;
  @Field(() => Int) total!: number;
}

@ObjectType({ simpleResolvers: true, description: 'The lapsed rule of an audience, with its windows as resolved at the send.' })
export class MessageLapsedAudience {
  @Field(() => ID, { nullable: true }) eventId!: number | null;
  @Field(() => Int) minAttendances!: number;
  @Field(() => DateTime, { description: 'Start of the window that needed the check-ins.' }) previousFrom!: Date;
  @Field(() => DateTime, { description: 'Start of the window without any.' }) absentFrom!: Date;
}

@ObjectType({ simpleResolvers: true })
export class MessageAudience {
  @Field(() => Boolean) everyone!: boolean;
  @Field(() => [MemberStatus]) statuses!: MemberStatus[];
  @Field(() => [ID]) groupIds!: number[];
  @Field(() => [ID]) memberIds!: number[];
  @Field(() => MessageLapsedAudience, { nullable: true }) lapsed!: MessageLapsedAudience | null;
  @Field(() => [ID], { description: 'Smart lists whose people (as of the send) were in the audience.' }) smartListIds!: number[];
}

@ObjectType({ simpleResolvers: true, description: 'Why people in the audience will not get this text.' })
export class SkippedCounts {
  @Field(() => Int, { description: 'Replied STOP (or opted out through staff).' }) optedOut!: number;
  @Field(() => Int) noPhone!: number;
  @Field(() => Int, { description: 'Shares a number with someone who gets the text: one text per number.' })
  sharedPhone!: number;
  @Field(() => Int, { description: 'EMAIL: no email address.' }) noEmail!: number;
  @Field(() => Int, { description: 'EMAIL: shares an address with someone who gets the email: one email per address.' }) sharedEmail!: number;
  @Field(() => Int, { description: 'EMAIL: the address bounced for good (reported by the mail provider).' }) undeliverable!: number;
  @Field(() => Int, { description: 'EMAIL: the address reported an email as spam.' }) complained!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Segments per text: the fewest and the most over the recipients.' })
export class SegmentRange {
  @Field(() => Int) min!: number;
  @Field(() => Int) max!: number;
}

@ObjectType({ simpleResolvers: true })
export class MessagePreview {
  @Field(() => MessageChannel) channel!: MessageChannel;
  @Field(() => String, { description: 'The body as written (the template), merge fields unfilled.' }) body!: string;
  @Field(() => String, { nullable: true, description: 'EMAIL: the subject as written or the saved template\'s, merge fields unfilled. Null for texts.' }) subject!: string | null;
  @Field(() => SmsEncoding, { nullable: true, description: 'Texts: UCS2 if any recipient\'s text needs it (a name outside GSM-7), else GSM7. Null for EMAIL.' }) encoding!: SmsEncoding | null;
  @Field(() => Int, { nullable: true, description: 'Texts: segments of the longest text (segmentRange.max). Null for EMAIL.' }) segments!: number | null;
  @Field(() => SegmentRange, { nullable: true, description: 'Texts: over the texts that would be sent, merge fields filled per recipient. Null for EMAIL.' }) segmentRange!: SegmentRange | null;
  @Field(() => String, { description: 'The longest text or email body that would be sent (merge fields filled).' }) longestText!: string;
  @Field(() => String, { description: 'The shortest one.' }) shortestText!: string;
  @Field(() => Int, { nullable: true, description: 'Texts that would go as UCS-2 (null for EMAIL).' }) ucs2Texts!: number | null;
  @Field(() => Int, { nullable: true, description: 'Segments of all the texts together (what is billed; null for EMAIL).' }) totalSegments!: number | null;
  @Field(() => Int, { description: 'Characters of the longest text or email body.' }) characters!: number;
  @Field(() => Int, { nullable: true, description: 'Characters (septets/code units) left in the longest text before another segment starts (texts only).' })
  remainingInSegment!: number | null;
  @Field(() => Int, { description: 'People in the audience before skips.' }) audienceCount!: number;
  @Field(() => Int, { description: 'Texts (one per phone number) or emails (one per address) that will be sent.' }) recipientCount!: number;
  @Field(() => SkippedCounts) skipped!: SkippedCounts;
  @Field(() => Float, { description: "The sum of each text's own segments x the configured price per segment." }) estimatedCost!: number;
  @Field(() => DateTime, { description: 'When sending would start (quiet hours applied unless urgent).' }) sendAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A text or an email sent (or scheduled) to an audience of a church.' })
export class Message {
  @Field(() => ID) id!: number;
  churchId!: number;
  authorId!: number | null;
  @Field(() => MessageChannel) channel!: MessageChannel;
  @Field(() => String, { nullable: true, description: 'EMAIL: the subject line (null for texts).' }) subject!: string | null;
  @Field(() => String, { description: 'As written: merge fields unfilled (each recipient has its own text).' }) body!: string;
  @Field(() => MessageStatus) status!: MessageStatus;
  @Field(() => Boolean) urgent!: boolean;
  @Field(() => DateTime, { nullable: true, description: 'When the sender asked for it to go.' }) scheduledAt!: Date | null;
  @Field(() => DateTime, { description: 'When sending starts: scheduledAt or the send time, out of quiet hours unless urgent.' })
  sendAt!: Date;
  @Field(() => SmsEncoding, { nullable: true, description: 'Texts only (null for EMAIL).' }) encoding!: SmsEncoding | null;
  @Field(() => Int, { nullable: true, description: 'Texts only: segments of the longest text (merge fields filled).' }) segments!: number | null;
  @Field(() => Int, { description: 'Texts or emails to send (eligible recipients).' }) recipientCount!: number;
  @Field(() => Int) skippedCount!: number;
  @Field(() => Float) estimatedCost!: number;
  @Field(() => String, { nullable: true, description: 'Texts: the church number it went from (null for EMAIL).' }) fromNumber!: string | null;
  @Field(() => String, { nullable: true, description: 'EMAIL: the From address (EMAIL_FROM; null for texts).' }) fromAddress!: string | null;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime, { nullable: true }) cancelledAt!: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'When no recipient could still change (none queued, sending or sent).' }) completedAt!: Date | null;
}

export const { Conn: MessageConnection } = connectionTypes('Message', Message);

@ObjectType({ simpleResolvers: true, description: 'One person a message went (or did not go) to.' })
export class MessageRecipient {
  @Field(() => ID) id!: number;
  memberId!: number | null;
  @Field(() => MessageChannel) channel!: MessageChannel;
  @Field(() => String, { nullable: true, description: 'What this recipient got, merge fields filled; null: the message\'s body.' }) body!: string | null;
  @Field(() => String, { nullable: true, description: 'The number at send time.' }) phone!: string | null;
  @Field(() => String, { nullable: true, description: 'EMAIL: the address at send time.' }) email!: string | null;
  @Field(() => RecipientStatus) status!: RecipientStatus;
  @Field(() => String, {
    nullable: true,
    description: 'Why skipped or cancelled: opted_out, no_phone, shared_phone, cancelled; emails: no_email, shared_email, undeliverable, complained.',
  })
  reason!: string | null;
  @Field(() => Int) attempts!: number;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => String, { nullable: true }) errorMessage!: string | null;
  @Field(() => DateTime, { nullable: true }) sentAt!: Date | null;
  @Field(() => DateTime, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => DateTime, { nullable: true }) failedAt!: Date | null;
}

export const { Conn: MessageRecipientConnection } = connectionTypes('MessageRecipient', MessageRecipient);

@ObjectType({ simpleResolvers: true, description: 'Live delivery progress of a message.' })
export class MessageProgress {
  @Field(() => ID) messageId!: number;
  @Field(() => MessageStatus) status!: string;
  @Field(() => DeliveryCounts) counts!: DeliveryCounts;
  @Field(() => Boolean, { description: 'No recipient can still change (none queued, sending or sent).' }) done!: boolean;
  @Field(() => DateTime) at!: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A text or email one person received (or was meant to).' })
export class MemberMessage {
  @Field(() => ID) messageId!: number;
  @Field(() => MessageChannel) channel!: MessageChannel;
  @Field(() => String) body!: string;
  @Field(() => RecipientStatus) status!: RecipientStatus;
  @Field(() => DateTime, { nullable: true }) sentAt!: Date | null;
  @Field(() => DateTime, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => DateTime) createdAt!: Date;
}
