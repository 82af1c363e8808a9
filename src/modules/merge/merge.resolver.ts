import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Member } from '../member/member.type.js';
import type { MemberRow } from '../member/member.queries.js';
import { getMember } from '../member/member.service.js';
import { listDuplicates, listMerges, mergeMembers, type DuplicatePair as PairRow } from './merge.service.js';
import { DuplicatePair, DuplicatePairConnection, MemberMergeConnection, MergeMembersPayload } from './merge.type.js';

@Resolver(() => DuplicatePair)
export class MergeResolver {
  @Query(() => DuplicatePairConnection, { description: "A church's likely duplicate people, in pairs (STAFF or higher; first ≤ 100)." })
  duplicateMembers(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    return listDuplicates({ scope: ctx, churchId, first, after });
  }

  @Query(() => MemberMergeConnection, { description: "A church's merges, newest first (STAFF or higher)." })
  memberMerges(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    return listMerges({ scope: ctx, churchId, first, after });
  }

  @Mutation(() => MergeMembersPayload, {
    description:
      'Merges removeId into keepId (STAFF or higher), all or nothing: groups, household, texts, check-ins, tags and custom values move to keepId; removeId is deleted and recorded in memberMerges.',
  })
  mergeMembers(@Ctx() ctx: Context, @Arg('keepId', () => ID) keepId: string, @Arg('removeId', () => ID) removeId: string) {
    return mergeMembers({ scope: ctx, keepId, removeId });
  }

  @FieldResolver(() => Member)
  a(@Ctx() ctx: Context, @Root() p: PairRow): Promise<MemberRow> {
    return getMember({ scope: ctx, id: p.a });
  }

  @FieldResolver(() => Member)
  b(@Ctx() ctx: Context, @Root() p: PairRow): Promise<MemberRow> {
    return getMember({ scope: ctx, id: p.b });
  }
}
