import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { auditLog } from '../../db/schema/index.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

/** One INSERT for a change's rows (a bulk change writes its rows in one statement). */
export async function insertAudit(db: Queryable, rows: NewAuditRow[]): Promise<void> {
  if (rows.length) await db.insert(auditLog).values(rows);
}

export interface AuditFilter {
  entity?: string;
  entityId?: string;
  actorUserId?: number;
  action?: string;
  from?: Date;
  to?: Date;
}

/** A church's log, newest first, keyset on id: audit_log_entity_idx / _actor_idx / _church_idx serve it. */
function whereOf(churchId: number, f: AuditFilter, afterId?: number): SQL {
  const parts: SQL[] = [sql`${auditLog.churchId} = ${churchId}`];
  if (f.entity !== undefined) parts.push(sql`${auditLog.entity} = ${f.entity}`);
  if (f.entityId !== undefined) parts.push(sql`${auditLog.entityId} = ${f.entityId}`);
  if (f.actorUserId !== undefined) parts.push(sql`${auditLog.actorUserId} = ${f.actorUserId}`);
  if (f.action !== undefined) parts.push(sql`${auditLog.action} = ${f.action}`);
  if (f.from) parts.push(sql`${auditLog.at} >= ${f.from.toISOString()}`);
  if (f.to) parts.push(sql`${auditLog.at} < ${f.to.toISOString()}`);
  if (afterId !== undefined) parts.push(sql`${auditLog.id} < ${afterId}`);
  return sql.join(parts, sql` AND `);
}

export async function pageAudit(db: Queryable, churchId: number, f: AuditFilter, limit: number, afterId?: number): Promise<AuditRow[]> {
  return db
    .select()
    .from(auditLog)
    .where(whereOf(churchId, f, afterId))
    .orderBy(sql`${auditLog.id} DESC`)
    .limit(limit);
}

/** Matching rows, counted up to `cap` (a church's whole log can be long). */
export async function countAudit(db: Queryable, churchId: number, f: AuditFilter, cap: number): Promise<number> {
  const rows = await db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM (SELECT 1 FROM audit_log WHERE ${whereOf(churchId, f)} LIMIT ${cap}) x`,
  );
  return rows[0]?.n ?? 0;
}
