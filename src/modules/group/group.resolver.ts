import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Church } from '../church/church.type.js';
import { requireChurchRole } from '../viewer.js';
import { getChurch } from '../church/church.service.js';
import { AddGroupMemberInput, CreateGroupInput, UpdateGroupInput } from './group.input.js';
import type { ChurchRow } from '../church/church.queries.js';
import { Member } from '../member/member.type.js';
import type { PagedMember } from '../member/member.queries.js';
import { MEMBER_GROUPS_CAP } from './group.loaders.js';
import type { GroupRow } from './group.queries.js';
import {
  addGroupMember,
  createGroup,
  getGroup,
  listGroupMembers,
  listGroups,
  removeGroupMember,
  updateGroup,
} from './group.service.js';
import { Group, GroupConnection, GroupMemberConnection, GroupMembership } from './group.type.js';

@Resolver(() => Group)
export class GroupResolver {
  @Query(() => Group)
  group(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return getGroup({ scope: ctx, id });
  }

  @Query(() => GroupConnection, { description: "A church's groups by name, paginated (first ≤ 100)." })
  async groups(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    const church = await getChurch({ scope: ctx, id: churchId, field: 'churchId' });
    return listGroups({ scope: ctx, church, first, after });
  }

  @FieldResolver(() => Church)
  church(@Ctx() ctx: Context, @Root() g: GroupRow) {
    return ctx.loaders.church.load(g.churchId);
  }

  @FieldResolver(() => Int, { description: 'Non-archived members in the group.' })
  memberCount(@Ctx() ctx: Context, @Root() g: GroupRow) {
    requireChurchRole(ctx.auth, g.churchId, 'viewer', 'memberCount');
    return ctx.loaders.groupMembersCount.load(g.id);
  }

  @FieldResolver(() => GroupMemberConnection, { description: 'Members by name, with their role (first ≤ 100).' })
  members(
    @Ctx() ctx: Context,
    @Root() group: GroupRow,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listGroupMembers({ scope: ctx, group, first, after });
  }

  @Mutation(() => Group)
  createGroup(@Ctx() ctx: Context, @Arg('input', () => CreateGroupInput) input: CreateGroupInput) {
    return createGroup({ scope: ctx, input });
  }

  @Mutation(() => Group)
  updateGroup(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateGroupInput) input: UpdateGroupInput) {
    return updateGroup({ scope: ctx, id, input });
  }

  @Mutation(() => GroupMembership, { description: 'Adds a member to a group, or changes their role if already in it.' })
  addGroupMember(@Ctx() ctx: Context, @Arg('input', () => AddGroupMemberInput) input: AddGroupMemberInput) {
    return addGroupMember({ scope: ctx, input });
  }

  @Mutation(() => GroupMembership)
  removeGroupMember(
    @Ctx() ctx: Context,
    @Arg('groupId', () => ID) groupId: string,
    @Arg('memberId', () => ID) memberId: string,
  ) {
    return removeGroupMember({ scope: ctx, groupId, memberId });
  }
}

/** A church's groups (the group module's, resolved on Church). */
@Resolver(() => Church)
export class ChurchGroupsResolver {
  @FieldResolver(() => GroupConnection)
  groups(
    @Ctx() ctx: Context,
    @Root() church: ChurchRow,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listGroups({ scope: ctx, church, first, after });
  }
}

/** The groups a person belongs to (the group module's, resolved on Member). */
@Resolver(() => Member)
export class MemberGroupsResolver {
  @FieldResolver(() => [Group], { description: `Groups this person belongs to, by name (at most ${MEMBER_GROUPS_CAP}).` })
  groups(@Ctx() ctx: Context, @Root() m: PagedMember) {
    // a directory page brought them along (member.queries pageOneChurch): no loader, no promise
    if (m.page) return m.page.groups;
    return ctx.loaders.memberGroups.load(m.id);
  }
}
