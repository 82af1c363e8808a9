import { Arg, Args, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Church } from '../church/church.type.js';
import { parseId } from '../../lib/ids.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import { Group } from '../group/group.type.js';
import { Household } from '../household/household.type.js';
import { importMembers, IMPORT_MAX_ROWS } from './import.service.js';
import { CreateMemberInput, ImportMemberRow, MembersPageArgs, UpdateMemberInput } from './member.input.js';
import { createMember, getMember, listMembers, setMemberArchived, updateMember } from './member.service.js';
import { Member, MemberConnection } from './member.type.js';
import { MemberMessage } from '../message/message.type.js';
import { BadInputError } from '../../lib/errors.js';
import type { MemberRow } from './member.queries.js';

@ObjectType()
class ImportRowError {
  @Field(() => Int, { description: 'Row number, from 1.' }) row!: number;
  @Field(() => String) field!: string;
  @Field(() => String) message!: string;
}

@ObjectType({ description: 'Either every row was imported (errors empty) or none was (errors lists each problem).' })
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

  @FieldResolver(() => Household, { nullable: true })
  household(@Ctx() ctx: Context, @Root() m: MemberRow) {
    return m.householdId ? ctx.loaders.household.load(m.householdId) : null;
  }

  @FieldResolver(() => [Group], { description: 'Groups this person belongs to, by name (at most 100).' })
  groups(@Ctx() ctx: Context, @Root() m: MemberRow) {
    return ctx.loaders.memberGroups.load(m.id);
  }

  @FieldResolver(() => [MemberMessage], { description: 'The latest texts to this person, newest first (at most 20).' })
  async recentMessages(@Ctx() ctx: Context, @Root() m: MemberRow, @Arg('first', () => Int, { nullable: true, defaultValue: 5 }) first: number) {
    if (!Number.isInteger(first) || first < 0 || first > 20) throw new BadInputError({ field: 'first', message: 'must be 0-20' });
    const rows = first ? await ctx.loaders.recentMessages(first).load(m.id) : [];
    return rows.map((r) => ({
      messageId: r.message_id,
      body: r.body,
      status: r.status,
      sentAt: r.sent_at ? new Date(r.sent_at as string) : null,
      deliveredAt: r.delivered_at ? new Date(r.delivered_at as string) : null,
      createdAt: new Date(r.created_at as string),
    }));
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
