import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionTypes } from '../../graphql/connection.js';
import { MessageChannel, RecipientStatus } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';

export enum HealthStatus {
  OK = 'OK',
  DEGRADED = 'DEGRADED',
  DOWN = 'DOWN',
}
registerEnumType(HealthStatus, { name: 'HealthStatus' });

@ObjectType({ simpleResolvers: true, description: 'The send queue (texts and emails) right now.' })
export class QueueMetrics {
  @Field(() => Int) waiting!: number;
  @Field(() => Int) active!: number;
  @Field(() => Int) delayed!: number;
  @Field(() => Int, { description: 'Kept for an hour (at most 20,000).' }) completed!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Boolean) paused!: boolean;
  @Field(() => Int, { description: 'Worker processes serving the queue (not connections: one process may hold several).' }) workers!: number;
  @Field(() => Int, { nullable: true, description: 'Age of the oldest waiting job, in seconds.' }) oldestWaitingSeconds!: number | null;
  @Field(() => Int, { description: 'Texts handed to the provider and emails accepted by the mail server in the last minute (all processes).' }) sentLastMinute!: number;
}

@ObjectType({ simpleResolvers: true })
export class Health {
  @Field(() => HealthStatus) status!: HealthStatus;
  @Field(() => [String], { description: 'Why it is not OK.' }) reasons!: string[];
  @Field(() => Float, { nullable: true, description: 'Round trip to its Redis, in ms.' }) latencyMs!: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'A send that failed for good, as the queue holds it.' })
export class FailedJob {
  @Field(() => ID) id!: string;
  @Field(() => ID) recipientId!: number;
  @Field(() => ID) messageId!: number;
  @Field(() => ID) churchId!: number;
  @Field(() => String, { nullable: true }) churchName!: string | null;
  @Field(() => MessageChannel, { description: 'A text (send-sms job) or an email (send-email job).' }) channel!: MessageChannel;
  @Field(() => String, { nullable: true, description: 'Only the last digits: •••4567.' }) phone!: string | null;
  @Field(() => String, { nullable: true, description: 'EMAIL: the address masked: m•••@example.org.' }) email!: string | null;
  @Field(() => String) error!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => DateTime, { nullable: true }) failedAt!: Date | null;
}

@ObjectType({ simpleResolvers: true })
export class FailedJobPage {
  @Field(() => Int, { description: 'Failed jobs in the queue in all.' }) total!: number;
  @Field(() => [FailedJob]) jobs!: FailedJob[];
}

@ObjectType({ simpleResolvers: true })
export class SkippedRetry {
  @Field(() => ID) id!: string;
  @Field(() => String) reason!: string;
}

@ObjectType({ simpleResolvers: true })
export class RetryResult {
  @Field(() => Int) retried!: number;
  @Field(() => [SkippedRetry], { description: 'Jobs left alone, and why (no longer failed, unknown…).' }) skipped!: SkippedRetry[];
}

@ObjectType({ simpleResolvers: true })
export class OperationCacheStats {
  @Field(() => String) operation!: string;
  @Field(() => Int) hits!: number;
  @Field(() => Int) misses!: number;
  @Field(() => Float, { nullable: true }) hitRatio!: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'Response cache counters, summed over every API process.' })
export class CacheMetrics {
  @Field(() => Int) hits!: number;
  @Field(() => Int) misses!: number;
  @Field(() => Float, { nullable: true }) hitRatio!: number | null;
  @Field(() => Int) writes!: number;
  @Field(() => Int) invalidations!: number;
  @Field(() => Int) errors!: number;
  @Field(() => [OperationCacheStats]) operations!: OperationCacheStats[];
  @Field(() => Int, { nullable: true, description: 'Keys in the cache Redis (DBSIZE).' }) keys!: number | null;
  @Field(() => Float, { nullable: true, description: 'used_memory of the cache Redis, bytes.' }) memoryBytes!: number | null;
}

@ObjectType({ simpleResolvers: true, description: "A church's text or email that failed: for its admins." })
export class FailedSend {
  @Field(() => ID) id!: number;
  @Field(() => ID) messageId!: number;
  @Field(() => MessageChannel) channel!: MessageChannel;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => String, { nullable: true, description: 'EMAIL: the address masked: m•••@example.org.' }) email!: string | null;
  @Field(() => RecipientStatus) status!: RecipientStatus;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => String, { nullable: true }) errorMessage!: string | null;
  @Field(() => Int) attempts!: number;
  @Field(() => DateTime, { nullable: true }) failedAt!: Date | null;
}

export const { Conn: FailedSendConnection } = connectionTypes('FailedSend', FailedSend);
