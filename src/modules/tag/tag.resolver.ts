import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Church } from '../church/church.type.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import { Member } from '../member/member.type.js';
import type { MemberRow } from '../member/member.queries.js';
import type { TagRow } from './tag.queries.js';
import { createTag, listTags, memberTags, renameTag, setMembersTagged, setTagArchived, tagMemberCount, TAG_BULK_MAX } from './tag.service.js';
import { Tag, TagMembersPayload } from './tag.type.js';

@Resolver(() => Tag)
export class TagResolver {
  @Query(() => [Tag], { description: "A church's tags by name (at most 500). The people with one: members(filter: { tagIds })." })
  async tags(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('includeArchived', () => Boolean, { nullable: true, defaultValue: false }) includeArchived: boolean,
  ) {
    const church = await getChurch({ scope: ctx, id: churchId, field: 'churchId' });
    return listTags({ scope: ctx, churchId: church.id, includeArchived });
  }

  @FieldResolver(() => Int, { description: 'Non-archived people with the tag.' })
  memberCount(@Ctx() ctx: Context, @Root() t: TagRow) {
    return tagMemberCount({ scope: ctx, tag: t });
  }

  @FieldResolver(() => Church)
  church(@Ctx() ctx: Context, @Root() t: TagRow) {
    return ctx.loaders.church.load(t.churchId);
  }

  @Mutation(() => Tag, { description: 'STAFF and up. Names are unique in the church (case-insensitive), 1-60 characters.' })
  createTag(@Ctx() ctx: Context, @Arg('churchId', () => ID) churchId: string, @Arg('name', () => String) name: string) {
    return createTag({ scope: ctx, churchId, name });
  }

  @Mutation(() => Tag, { description: 'ADMIN and up.' })
  renameTag(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('name', () => String) name: string) {
    return renameTag({ scope: ctx, id, name });
  }

  @Mutation(() => Tag, { description: 'ADMIN and up. People keep it (restoreTag brings it back); it cannot be given while archived.' })
  archiveTag(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return setTagArchived({ scope: ctx, id, archived: true });
  }

  @Mutation(() => Tag, { description: 'ADMIN and up.' })
  restoreTag(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return setTagArchived({ scope: ctx, id, archived: false });
  }

  @Mutation(() => TagMembersPayload, { description: `Gives the tag to up to ${TAG_BULK_MAX} people at once. STAFF and up.` })
  tagMembers(@Ctx() ctx: Context, @Arg('tagId', () => ID) tagId: string, @Arg('memberIds', () => [ID]) memberIds: string[]) {
    return setMembersTagged({ scope: ctx, tagId, memberIds, tagged: true });
  }

  @Mutation(() => TagMembersPayload, { description: `Takes the tag from up to ${TAG_BULK_MAX} people at once. STAFF and up.` })
  untagMembers(@Ctx() ctx: Context, @Arg('tagId', () => ID) tagId: string, @Arg('memberIds', () => [ID]) memberIds: string[]) {
    return setMembersTagged({ scope: ctx, tagId, memberIds, tagged: false });
  }
}

/** A church's tags (the tag module's, resolved on Church). */
@Resolver(() => Church)
export class ChurchTagsResolver {
  @FieldResolver(() => [Tag], { description: 'Tags by name.' })
  tags(@Ctx() ctx: Context, @Root() c: ChurchRow, @Arg('includeArchived', () => Boolean, { nullable: true, defaultValue: false }) includeArchived: boolean) {
    return listTags({ scope: ctx, churchId: c.id, includeArchived });
  }
}

/** A person's tags (the tag module's, resolved on Member). */
@Resolver(() => Member)
export class MemberTagsResolver {
  @FieldResolver(() => [Tag], { description: 'Active tags by name.' })
  tags(@Ctx() ctx: Context, @Root() m: MemberRow) {
    return memberTags({ scope: ctx, member: m });
  }
}
