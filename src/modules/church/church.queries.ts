import { eq, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { churches } from '../../db/schema/index.js';

export type ChurchRow = typeof churches.$inferSelect;
export type NewChurchRow = typeof churches.$inferInsert;

export async function churchesByIds(db: Queryable, ids: readonly number[]): Promise<ChurchRow[]> {
  return db.select().from(churches).where(inArray(churches.id, [...ids]));
}

/** `churches` list in name order, keyset on (lower(name), id): churches_name_id_idx. */
export async function pageChurches(
  db: Queryable,
  limit: number,
  after?: Array<string | number | null>,
): Promise<ChurchRow[]> {
  const keyset = after ? sql`(lower(${churches.name}), ${churches.id}) > (${after[0]}, ${after[1]})` : undefined;
  return db
    .select()
    .from(churches)
    .where(keyset)
    .orderBy(sql`lower(${churches.name})`, churches.id)
    .limit(limit);
}

export async function countChurches(db: Queryable): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(churches);
  return r?.n ?? 0;
}

export async function insertChurch(db: Queryable, row: NewChurchRow): Promise<ChurchRow> {
  const [c] = await db.insert(churches).values(row).returning();
  return c as ChurchRow;
}

export async function updateChurch(db: Queryable, id: number, patch: Partial<NewChurchRow>): Promise<ChurchRow | undefined> {
  const [c] = await db
    .update(churches)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(churches.id, id))
    .returning();
  return c;
}
