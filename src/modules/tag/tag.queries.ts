import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { tags, type memberTags } from '../../db/schema/index.js';
import { intArray, toDate } from '../../db/sql.js';

export type TagRow = typeof tags.$inferSelect;
export type NewTagRow = typeof tags.$inferInsert;
export type MemberTagRow = typeof memberTags.$inferSelect;

/** Most tags (archived included) a church may have: Church.tags is one unpaged list. */
export const TAGS_CAP = 500;

export async function tagsByIds(db: Queryable, ids: readonly number[], scope: readonly number[]): Promise<TagRow[]> {
  if (!scope.length || !ids.length) return [];
  return db
    .select()
    .from(tags)
    .where(and(sql`${tags.id} = ANY(${intArray(ids)})`, sql`${tags.churchId} = ANY(${intArray(scope)})`));
}

/** Each church's tags by name, archived ones included (tags_church_name_key). */
export async function tagsByChurch(db: Queryable, churchIds: readonly number[]): Promise<Map<number, TagRow[]>> {
  const out = new Map<number, TagRow[]>();
  if (!churchIds.length) return out;
  const rows = await db
    .select()
    .from(tags)
    .where(sql`${tags.churchId} = ANY(${intArray(churchIds)})`)
    .orderBy(tags.churchId, sql`lower(${tags.name})`);
  for (const r of rows) out.set(r.churchId, [...(out.get(r.churchId) ?? []), r]);
  return out;
}

/** Active tags of each member, by name (member_tags_member_idx, then the tag by id). */
export async function tagsByMember(db: Queryable, memberIds: readonly number[], scope: readonly number[]): Promise<Map<number, TagRow[]>> {
  const out = new Map<number, TagRow[]>();
  if (!scope.length || !memberIds.length) return out;
  const rows = await db.execute<{ member_id: number; id: number; church_id: number; name: string; archived_at: string | null; created_at: string; updated_at: string }>(sql`
    SELECT mt.member_id, t.id, t.church_id, t.name, t.archived_at, t.created_at, t.updated_at
    FROM member_tags mt JOIN tags t ON t.id = mt.tag_id
    WHERE mt.member_id = ANY(${intArray(memberIds)}) AND mt.church_id = ANY(${intArray(scope)}) AND t.archived_at IS NULL
    ORDER BY mt.member_id, lower(t.name)`);
  for (const r of rows) {
    const tag: TagRow = { id: r.id, churchId: r.church_id, name: r.name, archivedAt: null, createdAt: toDate(r.created_at), updatedAt: toDate(r.updated_at) };
    out.set(r.member_id, [...(out.get(r.member_id) ?? []), tag]);
  }
  return out;
}

/** People with each tag (non-archived), by tag (member_tags_pkey). */
export async function countByTag(db: Queryable, tagIds: readonly number[], scope: readonly number[]): Promise<Map<number, number>> {
  if (!scope.length || !tagIds.length) return new Map();
  const rows = await db.execute<{ tag_id: number; n: number }>(sql`
    SELECT mt.tag_id, count(*)::int AS n FROM member_tags mt JOIN members m ON m.id = mt.member_id
    WHERE mt.tag_id = ANY(${intArray(tagIds)}) AND mt.church_id = ANY(${intArray(scope)}) AND m.archived_at IS NULL
    GROUP BY mt.tag_id`);
  return new Map(rows.map((r) => [r.tag_id, r.n]));
}

export async function countTags(db: Queryable, churchId: number): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM tags WHERE church_id = ${churchId}`);
  return r?.n ?? 0;
}

export async function insertTag(db: Queryable, row: NewTagRow): Promise<TagRow> {
  const [r] = await db.insert(tags).values(row).returning();
  return r!;
}

export async function updateTag(db: Queryable, churchId: number, id: number, patch: Partial<NewTagRow>): Promise<TagRow | undefined> {
  const [r] = await db
    .update(tags)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(and(eq(tags.id, id), eq(tags.churchId, churchId)))
    .returning();
  return r;
}

/** Members of the church among these ids (the others are NOT_FOUND). */
export async function memberIdsInChurch(db: Queryable, churchId: number, ids: readonly number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await db.execute<{ id: number }>(sql`SELECT id FROM members WHERE church_id = ${churchId} AND id = ANY(${intArray(ids)})`);
  return rows.map((r) => r.id);
}

/** Tags these members (the ones who already have it are left as they are); returns the ones added. */
export async function addTag(db: Queryable, churchId: number, tagId: number, memberIds: readonly number[]): Promise<number[]> {
  if (!memberIds.length) return [];
  const rows = await db.execute<{ member_id: number }>(sql`
    INSERT INTO member_tags (church_id, tag_id, member_id)
    SELECT ${churchId}, ${tagId}, unnest(${intArray(memberIds)})
    ON CONFLICT (tag_id, member_id) DO NOTHING
    RETURNING member_id`);
  return rows.map((r) => r.member_id);
}

/** Untags these members; returns the ones who had it. */
export async function removeTag(db: Queryable, churchId: number, tagId: number, memberIds: readonly number[]): Promise<number[]> {
  if (!memberIds.length) return [];
  const rows = await db.execute<{ member_id: number }>(sql`
    DELETE FROM member_tags WHERE church_id = ${churchId} AND tag_id = ${tagId} AND member_id = ANY(${intArray(memberIds)})
    RETURNING member_id`);
  return rows.map((r) => r.member_id);
}
