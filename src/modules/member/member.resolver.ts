import { Arg, Args, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Church } from '../church/church.type.js';
import { parseId } from '../../lib/ids.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import type { ChurchRow } from '../church/church.queries.js';
import { Household } from '../household/household.type.js';
import type { HouseholdRow } from '../household/household.queries.js';
import { HOUSEHOLD_MEMBERS_CAP } from './member.loaders.js';
import { importMembers, IMPORT_MAX_ROWS } from './import.service.js';
import { CreateMemberInput, ImportMemberRow, MembersPageArgs, UpdateMemberInput } from './member.input.js';
import { createMember, getMember, listMembers, setMemberArchived, updateMember } from './member.service.js';
import { Member, MemberConnection } from './member.type.js';
import type { MemberRow, PagedMember } from './member.queries.js';
import { CustomFieldValue } from '../field/field.type.js';
import { memberValues } from '../field/field.service.js';

@ObjectType({ simpleResolvers: true })
class ImportRowError {
  @Field(() => Int, { description: 'Row number, from 1.' }) row!: number;
  @Field(() => String) field!: string;
  @Field(() => String) message!: string;
}

@ObjectType({ simpleResolvers: true, description: 'Either every row was imported (errors empty) or none was (errors lists each problem).' })
class ImportMembersPayload {
  @Field(() => Int) imported!: number;
  @Field(() => Int) householdsCreated!: number;
  @Field(() => [ImportRowError]) errors!: ImportRowError[];
}

@Resolver(() => Member)
export class MemberResolver {
  @Query(() => Member, { description: 'One member; NOT_FOUND if it does not exist.' })
  member(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<MemberRow> {
    return getMember({ scope: ctx, id });
  }

  @Query(() => MemberConnection, { description: "A church's member directory, paginated (first ≤ 100)." })
  async members(@Ctx() ctx: Context, @Arg('churchId', () => ID) churchId: string, @Args(() => MembersPageArgs) args: MembersPageArgs) {
    // The viewer's role in the church is checked first and is proof enough that it exists
    // (roles go with their church): the directory's hottest path spends no query on the church row.
    const viewer = requireViewer(ctx.auth);
    const id = parseId(churchId, 'Church', 'churchId');
    // a platform admin sees every church record: an unknown one is NOT_FOUND, a known one FORBIDDEN
    if (viewer.platformAdmin && !viewer.roles.has(id)) await getChurch({ scope: ctx, id, field: 'churchId' });
    requireChurchRole(ctx.auth, id, 'viewer', 'churchId');
    return listMembers({ scope: ctx, church: { id }, args });
  }

  @FieldResolver(() => String, { description: 'First and last name.' })
  fullName(@Root() m: MemberRow): string {
    return `${m.firstName} ${m.lastName}`;
  }

  @FieldResolver(() => Boolean, { description: 'True when the person has opted out of texts (see smsOptedOutAt, smsOptedOutVia).' })
  smsOptedOut(@Root() m: MemberRow): boolean {
    return m.smsOptedOutAt !== null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'How they opted out: keyword:STOP, error:21610, staff…' })
  smsOptedOutVia(@Root() m: MemberRow): string | null {
    return m.smsOptOutVia;
  }

  @FieldResolver(() => Church)
  async church(@Ctx() ctx: Context, @Root() m: MemberRow) {
    return ctx.loaders.church.load(m.churchId);
  }

  @FieldResolver(() => [CustomFieldValue], { description: "Every active custom field of the church in display order, with this person's value (isSet false: none)." })
  customFields(@Ctx() ctx: Context, @Root() m: MemberRow) {
    return memberValues({ scope: ctx, member: m });
  }

  @FieldResolver(() => Household, { nullable: true })
  household(@Ctx() ctx: Context, @Root() m: PagedMember) {
    // a directory page brought it along (member.queries pageOneChurch): no loader, no promise
    if (m.page) return m.page.household;
    return m.householdId ? ctx.loaders.household.load(m.householdId) : null;
  }

  @Mutation(() => Member)
  createMember(@Ctx() ctx: Context, @Arg('input', () => CreateMemberInput) input: CreateMemberInput) {
    return createMember({ scope: ctx, input });
  }

  @Mutation(() => Member)
  updateMember(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateMemberInput) input: UpdateMemberInput,
  ) {
    return updateMember({ scope: ctx, id, input });
  }

  @Mutation(() => Member, { description: 'Soft-deletes: the member leaves lists and counts but nothing is lost.' })
  archiveMember(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return setMemberArchived({ scope: ctx, id, archived: true });
  }

  @Mutation(() => Member)
  restoreMember(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return setMemberArchived({ scope: ctx, id, archived: false });
  }

  @Mutation(() => ImportMembersPayload, {
    description: `Imports up to ${IMPORT_MAX_ROWS} rows, all or nothing: every row is validated first.`,
  })
  importMembers(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('rows', () => [ImportMemberRow]) rows: ImportMemberRow[],
  ) {
    return importMembers({ scope: ctx, churchId, rows });
  }
}

/** A church's directory and head count (the member module's, resolved on Church). */
@Resolver(() => Church)
export class ChurchMembersResolver {
  @FieldResolver(() => Int, { description: 'Non-archived members.' })
  memberCount(@Ctx() ctx: Context, @Root() c: ChurchRow) {
    requireChurchRole(ctx.auth, c.id, 'viewer', 'memberCount');
    return ctx.loaders.membersCount({ archived: false }).load(c.id);
  }

  @FieldResolver(() => MemberConnection, { description: 'The member directory (same arguments as Query.members).' })
  members(@Ctx() ctx: Context, @Root() church: ChurchRow, @Args(() => MembersPageArgs) args: MembersPageArgs) {
    return listMembers({ scope: ctx, church, args });
  }
}

/** A household's people (the member module's, resolved on Household). */
@Resolver(() => Household)
export class HouseholdMembersResolver {
  @FieldResolver(() => [Member], {
    description: `Non-archived members: head, spouse, children, others (at most ${HOUSEHOLD_MEMBERS_CAP}).`,
  })
  members(@Ctx() ctx: Context, @Root() h: HouseholdRow) {
    return ctx.loaders.householdMembers.load(h.id);
  }
}
