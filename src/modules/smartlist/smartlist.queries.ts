import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { smartLists } from '../../db/schema/index.js';
import { intArray, toDate } from '../../db/sql.js';

export type SmartListRow = typeof smartLists.$inferSelect;
export type NewSmartListRow = typeof smartLists.$inferInsert;

/** Most saved lists a church may have. */
export const LISTS_CAP = 200;

export async function listsByIds(db: Queryable, ids: readonly number[], scope: readonly number[]): Promise<SmartListRow[]> {
  if (!scope.length || !ids.length) return [];
  return db
    .select()
    .from(smartLists)
    .where(and(sql`${smartLists.id} = ANY(${intArray(ids)})`, sql`${smartLists.churchId} = ANY(${intArray(scope)})`));
}

type RawList = { id: number; church_id: number; name: string; description: string | null; rules: unknown; created_by: number | null; created_at: string; updated_at: string };

/** smartLists(churchId): a keyset page in name order (smart_lists_church_name_key). */
export async function pageLists(db: Queryable, churchId: number, limit: number, after?: Array<string | number | null>): Promise<SmartListRow[]> {
  const keyset = after ? sql`(lower(l.name), l.id) > (${after[0]}, ${after[1]})` : sql`TRUE`;
  const rows = await db.execute<RawList>(sql`
    SELECT l.* FROM smart_lists l WHERE l.church_id = ${churchId} AND ${keyset}
    ORDER BY lower(l.name), l.id LIMIT ${limit}`);
  return rows.map((r) => ({
    id: r.id,
    churchId: r.church_id,
    name: r.name,
    description: r.description,
    rules: typeof r.rules === 'string' ? (JSON.parse(r.rules) as unknown) : r.rules,
    createdBy: r.created_by,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  }));
}

export async function countLists(db: Queryable, churchId: number): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM smart_lists WHERE church_id = ${churchId}`);
  return r?.n ?? 0;
}

export async function insertList(db: Queryable, row: NewSmartListRow): Promise<SmartListRow> {
  const [r] = await db.insert(smartLists).values(row).returning();
  return r!;
}

export async function updateList(db: Queryable, churchId: number, id: number, patch: Partial<NewSmartListRow>): Promise<SmartListRow | undefined> {
  const [r] = await db
    .update(smartLists)
    .set({ ...patch, updatedAt: sql`clock_timestamp()` })
    .where(and(eq(smartLists.id, id), eq(smartLists.churchId, churchId)))
    .returning();
  return r;
}

export async function deleteList(db: Queryable, churchId: number, id: number): Promise<boolean> {
  const rows = await db.delete(smartLists).where(and(eq(smartLists.id, id), eq(smartLists.churchId, churchId))).returning({ id: smartLists.id });
  return rows.length > 0;
}

/** Tags or groups of the church among these ids. */
export async function idsInChurch(db: Queryable, churchId: number, table: 'tags' | 'groups', ids: readonly number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await db.execute<{ id: number }>(sql`SELECT id FROM ${sql.identifier(table)} WHERE church_id = ${churchId} AND id = ANY(${intArray(ids)})`);
  return rows.map((r) => r.id);
}
