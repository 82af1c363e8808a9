import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { EmailSuppressionReason } from '../../db/schema/index.js';

export interface SuppressionRow {
  email: string;
  reason: EmailSuppressionReason;
  detail: string | null;
  reports: number;
  createdAt: Date;
  updatedAt: Date;
  /** the church's people (not archived) holding the address, at most HOLDERS_CAP */
  memberIds: number[];
}

export const HOLDERS_CAP = 10;

type Raw = { email: string; reason: EmailSuppressionReason; detail: string | null; reports: number; created_at: string; updated_at: string; member_ids: number[] };

const rowOf = (r: Raw): SuppressionRow => ({
  email: r.email,
  reason: r.reason,
  detail: r.detail,
  reports: r.reports,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  memberIds: r.member_ids ?? [],
});

/**
 * Suppressed addresses held by this church's people, by address. Suppressions are platform-wide
 * (one SMTP account sends for every church), so a church sees only the addresses of its own people:
 * the walk starts from its members in address order (members_church_email_idx) and probes the
 * suppression's primary key, never the platform's whole list.
 */
export async function pageSuppressions(db: Queryable, churchId: number, limit: number, after?: string): Promise<SuppressionRow[]> {
  const rows = await db.execute<Raw>(sql`
    SELECT s.email, s.reason, s.detail, s.reports, s.created_at, s.updated_at,
           to_jsonb((array_agg(m.id ORDER BY m.id))[1:${sql.raw(String(HOLDERS_CAP))}]) AS member_ids
    FROM members m
    JOIN email_suppressions s ON s.email = lower(m.email)
    WHERE m.church_id = ${churchId} AND m.email IS NOT NULL AND m.archived_at IS NULL
      ${after === undefined ? sql`` : sql`AND lower(m.email) > ${after}`}
    GROUP BY s.email
    ORDER BY s.email
    LIMIT ${limit}`);
  return rows.map(rowOf);
}

export async function countSuppressions(db: Queryable, churchId: number): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`
    SELECT count(DISTINCT s.email)::int AS n FROM members m JOIN email_suppressions s ON s.email = lower(m.email)
    WHERE m.church_id = ${churchId} AND m.email IS NOT NULL AND m.archived_at IS NULL`);
  return r?.n ?? 0;
}

/** The address's suppression, if one of the church's people (not archived) holds it. */
export async function suppressionOfChurch(db: Queryable, churchId: number, email: string): Promise<SuppressionRow | undefined> {
  const [r] = await db.execute<Raw>(sql`
    SELECT s.email, s.reason, s.detail, s.reports, s.created_at, s.updated_at,
           to_jsonb((array_agg(m.id ORDER BY m.id))[1:${sql.raw(String(HOLDERS_CAP))}]) AS member_ids
    FROM email_suppressions s
    JOIN members m ON m.church_id = ${churchId} AND lower(m.email) = s.email AND m.email IS NOT NULL AND m.archived_at IS NULL
    WHERE s.email = ${email}
    GROUP BY s.email`);
  return r ? rowOf(r) : undefined;
}

/** Lifts the suppression; false: there was none (another request lifted it first). */
export async function deleteSuppression(db: Queryable, email: string): Promise<boolean> {
  const rows = await db.execute(sql`DELETE FROM email_suppressions WHERE email = ${email} RETURNING email`);
  return rows.length > 0;
}
