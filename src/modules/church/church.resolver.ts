import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { GroupConnection } from '../group/group.type.js';
import { listGroups } from '../group/group.service.js';
import { HouseholdConnection } from '../household/household.type.js';
import { listHouseholds } from '../household/household.service.js';
import { MembersPageArgs } from '../member/member.input.js';
import { listMembers } from '../member/member.service.js';
import { MemberConnection } from '../member/member.type.js';
import { CreateChurchInput, UpdateChurchInput } from './church.input.js';
import type { ChurchRow } from './church.queries.js';
import { createChurch, getChurch, listChurches, updateChurch } from './church.service.js';
import { Church } from './church.type.js';
import { requireChurchRole } from '../viewer.js';
import { connectionTypes } from '../../graphql/connection.js';

const { Conn: ChurchConnection } = connectionTypes('Church', Church);

@Resolver(() => Church)
export class ChurchResolver {
  @Query(() => Church)
  church(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return getChurch({ scope: ctx, id });
  }

  @Query(() => ChurchConnection, { description: 'Churches by name, paginated (first ≤ 100).' })
  churches(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) f: number,
    @Arg('after', () => String, { nullable: true }) a?: string,
  ) {
    return listChurches({ scope: ctx, first: f, after: a });
  }

  @FieldResolver(() => Int, { description: 'Non-archived members.' })
  memberCount(@Ctx() ctx: Context, @Root() c: ChurchRow) {
    requireChurchRole(ctx.auth, c.id, 'viewer', 'memberCount');
    return ctx.loaders.membersCount({ archived: false }).load(c.id);
  }

  @FieldResolver(() => MemberConnection, { description: 'The member directory (same arguments as Query.members).' })
  members(@Ctx() ctx: Context, @Root() church: ChurchRow, @Args(() => MembersPageArgs) args: MembersPageArgs) {
    return listMembers({ scope: ctx, church, args });
  }

  @FieldResolver(() => GroupConnection)
  groups(
    @Ctx() ctx: Context,
    @Root() church: ChurchRow,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listGroups({ scope: ctx, church, first, after });
  }

  @FieldResolver(() => HouseholdConnection)
  households(
    @Ctx() ctx: Context,
    @Root() church: ChurchRow,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listHouseholds({ scope: ctx, church, first, after });
  }

  @Mutation(() => Church)
  createChurch(@Ctx() ctx: Context, @Arg('input', () => CreateChurchInput) input: CreateChurchInput) {
    return createChurch({ scope: ctx, input });
  }

  @Mutation(() => Church)
  updateChurch(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateChurchInput) input: UpdateChurchInput) {
    return updateChurch({ scope: ctx, id, input });
  }
}
