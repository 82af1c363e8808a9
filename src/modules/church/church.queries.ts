import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { insertedRow, intArray } from '../../db/sql.js';
import { churches } from '../../db/schema/index.js';

export type ChurchRow = typeof churches.$inferSelect;
export type NewChurchRow = typeof churches.$inferInsert;

/** Which churches a list may show: all of them (platform admin) or the viewer's. */
export interface ChurchScope {
  all: boolean;
  ids: readonly number[];
}

function scopeSql(scope: ChurchScope) {
  return scope.all ? undefined : sql`${churches.id} = ANY(${intArray(scope.ids)})`;
}

/** Churches by id, only those the scope may read (the statement itself carries the scope). */
export async function churchesByIds(db: Queryable, ids: readonly number[], scope: ChurchScope): Promise<ChurchRow[]> {
  if (!scope.all && !scope.ids.length) return [];
  return db.select().from(churches).where(and(sql`${churches.id} = ANY(${intArray(ids)})`, scopeSql(scope)));
}

/** `churches` list in name order, keyset on (lower(name), id): churches_name_id_idx. */
export async function pageChurches(
  db: Queryable,
  scope: ChurchScope,
  limit: number,
  after?: Array<string | number | null>,
): Promise<ChurchRow[]> {
  if (!scope.all && !scope.ids.length) return [];
  const keyset = after ? sql`(lower(${churches.name}), ${churches.id}) > (${after[0]}, ${after[1]})` : undefined;
  return db
    .select()
    .from(churches)
    .where(and(keyset, scopeSql(scope)))
    .orderBy(sql`lower(${churches.name})`, churches.id)
    .limit(limit);
}

export async function countChurches(db: Queryable, scope: ChurchScope): Promise<number> {
  if (!scope.all && !scope.ids.length) return 0;
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(churches).where(scopeSql(scope));
  return r?.n ?? 0;
}

export async function insertChurch(db: Queryable, row: NewChurchRow): Promise<ChurchRow> {
  return insertedRow(await db.insert(churches).values(row).returning());
}

export async function updateChurch(db: Queryable, id: number, patch: Partial<NewChurchRow>): Promise<ChurchRow | undefined> {
  const [c] = await db
    .update(churches)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(churches.id, id))
    .returning();
  return c;
}

/** The church that texts from this number (churches_sms_from_number_key): inbound texts and keywords. */
export async function churchBySmsNumber(db: Queryable, phone: string): Promise<ChurchRow | undefined> {
  const [row] = await db.select().from(churches).where(eq(churches.smsFromNumber, phone));
  return row;
}
