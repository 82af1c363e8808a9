import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { households } from '../../db/schema/index.js';
import { intArray, toDate } from '../../db/sql.js';

export type HouseholdRow = typeof households.$inferSelect;
export type NewHouseholdRow = typeof households.$inferInsert;

export async function householdsByIds(db: Queryable, ids: readonly number[], scope: readonly number[]): Promise<HouseholdRow[]> {
  if (!scope.length) return [];
  return db
    .select()
    .from(households)
    .where(and(sql`${households.id} = ANY(${intArray(ids)})`, sql`${households.churchId} = ANY(${intArray(scope)})`));
}

/** households(churchId) / Church.households: name-ordered keyset pages for several churches (households_church_name_idx). */
export async function pageHouseholdsByChurch(
  db: Queryable,
  churchIds: readonly number[],
  limit: number,
  after?: Array<string | number | null>,
): Promise<Map<number, HouseholdRow[]>> {
  const keyset = after ? sql`(lower(h.name), h.id) > (${after[0]}, ${after[1]})` : sql`TRUE`;
  // timestamps as text (src/db/sql.ts)
  const rows = await db.execute<{ id: number; church_id: number; name: string; created_at: string; updated_at: string }>(sql`
    SELECT h.* FROM unnest(${intArray(churchIds)}) AS c(id)
    CROSS JOIN LATERAL (
      SELECT h.* FROM households h WHERE h.church_id = c.id AND ${keyset}
      ORDER BY lower(h.name), h.id LIMIT ${limit}
    ) h`);
  const out = new Map<number, HouseholdRow[]>();
  for (const r of rows) {
    const h: HouseholdRow = {
      id: r.id,
      churchId: r.church_id,
      name: r.name,
      createdAt: toDate(r.created_at),
      updatedAt: toDate(r.updated_at),
    };
    out.set(h.churchId, [...(out.get(h.churchId) ?? []), h]);
  }
  return out;
}

export async function countHouseholdsByChurch(db: Queryable, churchIds: readonly number[]): Promise<Map<number, number>> {
  const rows = await db.execute<{ church_id: number; n: number }>(sql`
    SELECT church_id, count(*)::int AS n FROM households
    WHERE church_id = ANY(${intArray(churchIds)}) GROUP BY church_id`);
  return new Map(rows.map((r) => [r.church_id, r.n]));
}

export async function insertHouseholds(db: Queryable, rows: NewHouseholdRow[]): Promise<HouseholdRow[]> {
  if (!rows.length) return [];
  return db.insert(households).values(rows).returning();
}

export async function updateHousehold(db: Queryable, id: number, patch: Partial<NewHouseholdRow>): Promise<HouseholdRow | undefined> {
  const [h] = await db
    .update(households)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(households.id, id))
    .returning();
  return h;
}
