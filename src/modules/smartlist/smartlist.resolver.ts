import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Church } from '../church/church.type.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import { MembersPageArgs } from '../member/member.input.js';
import { MemberConnection } from '../member/member.type.js';
import { CreateSmartListInput, UpdateSmartListInput } from './smartlist.input.js';
import type { SmartListRow } from './smartlist.queries.js';
import { createSmartList, deleteSmartList, getSmartList, listSmartListMembers, listSmartLists, smartListCount, updateSmartList } from './smartlist.service.js';
import { SmartList, SmartListConnection } from './smartlist.type.js';

@Resolver(() => SmartList)
export class SmartListResolver {
  @Query(() => SmartList, { description: 'One saved list; NOT_FOUND if it does not exist.' })
  smartList(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return getSmartList({ scope: ctx, id });
  }

  @Query(() => SmartListConnection, { description: "A church's saved lists by name, paginated (first ≤ 100)." })
  async smartLists(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    const church = await getChurch({ scope: ctx, id: churchId, field: 'churchId' });
    return listSmartLists({ scope: ctx, churchId: church.id, first, after });
  }

  @FieldResolver(() => MemberConnection, { description: "The list's people now: the directory's arguments (filter, orderBy, orderByField, keyset cursors) apply on top of the rules." })
  members(@Ctx() ctx: Context, @Root() list: SmartListRow, @Args(() => MembersPageArgs) args: MembersPageArgs) {
    return listSmartListMembers({ scope: ctx, list, args });
  }

  @FieldResolver(() => Int, { description: 'People in the list now (non-archived).' })
  memberCount(@Ctx() ctx: Context, @Root() list: SmartListRow) {
    return smartListCount({ scope: ctx, list });
  }

  @FieldResolver(() => Church)
  church(@Ctx() ctx: Context, @Root() list: SmartListRow) {
    return ctx.loaders.church.load(list.churchId);
  }

  @Mutation(() => SmartList, { description: 'STAFF and up. Rules are checked (BAD_USER_INPUT names the rule: input.rules.conditions[0].value).' })
  createSmartList(@Ctx() ctx: Context, @Arg('input', () => CreateSmartListInput) input: CreateSmartListInput) {
    return createSmartList({ scope: ctx, input });
  }

  @Mutation(() => SmartList, { description: 'STAFF and up.' })
  updateSmartList(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateSmartListInput) input: UpdateSmartListInput) {
    return updateSmartList({ scope: ctx, id, input });
  }

  @Mutation(() => ID, { description: 'Deletes the saved list (people are untouched); returns its id. STAFF and up.' })
  deleteSmartList(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return deleteSmartList({ scope: ctx, id });
  }
}

/** A church's saved lists (the smart-list module's, resolved on Church). */
@Resolver(() => Church)
export class ChurchSmartListsResolver {
  @FieldResolver(() => SmartListConnection, { description: 'Saved lists by name.' })
  smartLists(
    @Ctx() ctx: Context,
    @Root() c: ChurchRow,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listSmartLists({ scope: ctx, churchId: c.id, first, after });
  }
}
