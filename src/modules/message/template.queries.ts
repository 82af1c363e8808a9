import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { messageTemplates } from '../../db/schema/index.js';
import { insertedRow, intArray } from '../../db/sql.js';

export type TemplateRow = typeof messageTemplates.$inferSelect;
export type NewTemplateRow = typeof messageTemplates.$inferInsert;

/** A template in one of these churches (the viewer's). */
export async function templateById(db: Queryable, id: number, churchIds: readonly number[]): Promise<TemplateRow | undefined> {
  if (!churchIds.length) return undefined;
  const [row] = await db
    .select()
    .from(messageTemplates)
    .where(and(eq(messageTemplates.id, id), sql`${messageTemplates.churchId} = ANY(${intArray(churchIds)})`));
  return row;
}

// literally, so the planner matches the partial indexes' predicates
const archivedSql = (archived: boolean) => (archived ? sql`archived_at IS NOT NULL` : sql`archived_at IS NULL`);

/** messageTemplates(churchId): by lower(name), id (message_templates_church_name_idx, …_archived_idx). */
export async function pageTemplates(
  db: Queryable,
  churchId: number,
  archived: boolean,
  limit: number,
  after?: readonly [string, number],
): Promise<TemplateRow[]> {
  return db
    .select()
    .from(messageTemplates)
    .where(
      and(
        eq(messageTemplates.churchId, churchId),
        archivedSql(archived),
        after ? sql`(lower(${messageTemplates.name}), ${messageTemplates.id}) > (${after[0]}, ${after[1]})` : undefined,
      ),
    )
    .orderBy(sql`lower(${messageTemplates.name})`, messageTemplates.id)
    .limit(limit);
}

export async function countTemplates(db: Queryable, churchId: number, archived: boolean): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(messageTemplates)
    .where(and(eq(messageTemplates.churchId, churchId), archivedSql(archived)));
  return r?.n ?? 0;
}

export async function insertTemplate(db: Queryable, row: NewTemplateRow): Promise<TemplateRow> {
  return insertedRow(await db.insert(messageTemplates).values(row).returning());
}

export async function updateTemplate(db: Queryable, id: number, patch: Partial<NewTemplateRow>): Promise<TemplateRow | undefined> {
  const [row] = await db
    .update(messageTemplates)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(messageTemplates.id, id))
    .returning();
  return row;
}

/** A live template of that name in the church, other than `exceptId`. */
export async function liveTemplateNamed(db: Queryable, churchId: number, name: string, exceptId?: number): Promise<boolean> {
  const rows = await db.execute(sql`
    SELECT 1 FROM message_templates
    WHERE church_id = ${churchId} AND lower(name) = lower(${name}) AND archived_at IS NULL AND id <> ${exceptId ?? 0} LIMIT 1`);
  return rows.length > 0;
}
