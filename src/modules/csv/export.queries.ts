import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { filterSql, type ExtraWhere, type MemberFilter } from '../member/member.queries.js';

export type ExportRow = {
  id: number;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  status: string;
  household_name: string | null;
  household_role: string | null;
  first_visit_on: string | null;
  joined_on: string | null;
  birth_date: string | null;
  sms_opted_out: boolean;
  lf: string;
  ll: string;
};

/**
 * One batch of a church's people in directory order (lower(last), lower(first), id), after the
 * previous batch's last row: each batch is one index range (members_directory_idx), so an export
 * holds one batch in memory and no connection between batches.
 */
export async function exportBatch(db: Queryable, churchId: number, f: MemberFilter, limit: number, after?: [string, string, number], extra?: ExtraWhere): Promise<ExportRow[]> {
  const keyset: SQL = after
    ? sql` AND (lower(m.last_name), lower(m.first_name), m.id) > (${after[0]}, ${after[1]}, ${after[2]})`
    : sql``;
  return db.execute<ExportRow>(sql`
    SELECT m.id, m.first_name, m.last_name, m.email, m.phone, m.status, h.name AS household_name, m.household_role,
      m.first_visit_on, m.joined_on, m.birth_date, m.sms_opted_out_at IS NOT NULL AS sms_opted_out,
      lower(m.first_name) AS lf, lower(m.last_name) AS ll
    FROM members m LEFT JOIN households h ON h.id = m.household_id
    WHERE m.church_id = ${churchId} AND ${filterSql(f, extra)}${keyset}
    ORDER BY lower(m.last_name), lower(m.first_name), m.id
    LIMIT ${limit}`);
}
