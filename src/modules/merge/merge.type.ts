import { Field, ID, ObjectType } from 'type-graphql';
import { JSONResolver } from 'graphql-scalars';
import { connectionTypes } from '../../graphql/connection.js';
import { DateTime } from '../../graphql/scalars.js';
import { Member } from '../member/member.type.js';

@ObjectType({ description: 'Two people who are likely one: the same phone, email, or name and birth date.' })
export class DuplicatePair {
  a!: number;
  b!: number;
  @Field(() => [String], { description: 'PHONE, EMAIL, NAME_AND_BIRTH_DATE' }) reasons!: string[];
}

@ObjectType({ simpleResolvers: true, description: 'A record of one merge (the removed person is deleted; their row is kept here).' })
export class MemberMerge {
  @Field(() => ID) id!: number;
  churchId!: number;
  @Field(() => ID) keptMemberId!: number;
  @Field(() => ID) removedMemberId!: number;
  @Field(() => JSONResolver, { description: 'The removed person as they were, with their custom values.' }) removedSnapshot!: Record<string, unknown>;
  @Field(() => JSONResolver, { description: 'Rows moved per table, and duplicates combined.' }) moved!: Record<string, number>;
  @Field(() => ID, { nullable: true }) mergedBy!: number | null;
  @Field(() => DateTime) mergedAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class MergeMembersPayload {
  @Field(() => Member, { description: 'The person kept, with what they took from the removed one.' }) member!: Member;
  @Field(() => MemberMerge) merge!: MemberMerge;
}

export const { Conn: DuplicatePairConnection } = connectionTypes('DuplicatePair', DuplicatePair);
export const { Conn: MemberMergeConnection } = connectionTypes('MemberMerge', MemberMerge);
