import { sql, type SQL } from 'drizzle-orm';
import type { Readable } from 'node:stream';
import type { Queryable } from '../../db/client.js';
import { copyIn } from '../../db/copy.js';
import type { Actor } from '../audit/audit.service.js';

/**
 * The CSV import's SQL. The rows of a file live in a temporary staging table of the import's own
 * transaction (dropped at its end), filled by one COPY; everything after is set-based, one statement
 * per step, whatever the number of rows.
 */

/** The staging columns COPY fills, in the order of each line the service writes. */
export const STAGING_COLUMNS = [
  'rn', 'first_name', 'last_name', 'email', 'phone', 'status', 'first_visit_on', 'joined_on', 'inactivated_on',
  'birth_date', 'household_name', 'household_role', 'sms_opted_out', 'tags', 'fields',
] as const;

/** The advisory lock's first key: one import of a church at a time (the second is the church id). */
const IMPORT_LOCK = 0x1c5f;

export async function stage(tx: Queryable, churchId: number, statementTimeoutMs: number, rows: Readable): Promise<void> {
  // one transaction for the whole import: its statements may take longer than a request's
  await tx.execute(sql.raw(`SET LOCAL statement_timeout = ${Math.trunc(statementTimeoutMs)}`));
  // two imports of one church at once would each miss the other's people as duplicates: the
  // second waits for the first to commit (within the statement timeout)
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${IMPORT_LOCK}::int, ${churchId}::int)`);
  await tx.execute(sql`
    CREATE TEMP TABLE import_rows (
      rn int PRIMARY KEY,
      first_name text NOT NULL,
      last_name text NOT NULL,
      email text,
      phone text,
      status member_status NOT NULL,
      first_visit_on date,
      joined_on date,
      inactivated_on date,
      birth_date date,
      household_name text,
      household_role household_role,
      sms_opted_out boolean NOT NULL,
      tags jsonb,
      fields jsonb,
      skip boolean NOT NULL DEFAULT false,
      member_id int,
      household_id int
    ) ON COMMIT DROP`);
  await copyIn(tx, `COPY import_rows (${STAGING_COLUMNS.join(', ')}) FROM STDIN`, rows);
  // a temporary table has no statistics until analyzed: without them the planner guesses a few
  // hundred rows and picks nested loops for 50,000
  await tx.execute(sql`ANALYZE import_rows`);
}

export type DuplicateReason = 'EMAIL' | 'PHONE' | 'NAME_AND_BIRTH_DATE';

/**
 * Likely duplicates by the merge module's rules (src/modules/merge/merge.queries.ts duplicatePairs:
 * the same phone, the same email case aside, the same name and birth date, non-archived people),
 * against the church's people (each probe on the index the merge module uses) and within the file
 * (a row repeating an earlier row's key). Kept in import_dups for the report and the skip.
 */
export async function findDuplicates(tx: Queryable, churchId: number): Promise<void> {
  await tx.execute(sql`CREATE TEMP TABLE import_dups ON COMMIT DROP AS ${duplicatesSql(churchId)}`);
}

/** The staged rows' duplicates: (rn, reason, member_id | dup_of). test/csv-import.test.ts EXPLAINs it. */
export function duplicatesSql(churchId: number): SQL {
  return sql`
    SELECT s.rn, 'EMAIL' AS reason, m.id AS member_id, NULL::int AS dup_of
    FROM import_rows s CROSS JOIN LATERAL (
      SELECT id FROM members m WHERE m.church_id = ${churchId} AND lower(m.email) = s.email AND m.email IS NOT NULL AND m.archived_at IS NULL
      ORDER BY lower(m.email), m.id LIMIT 1) m
    WHERE s.email IS NOT NULL
    UNION ALL
    SELECT s.rn, 'PHONE', m.id, NULL
    FROM import_rows s CROSS JOIN LATERAL (
      SELECT id FROM members m WHERE m.church_id = ${churchId} AND m.phone = s.phone AND m.phone IS NOT NULL AND m.archived_at IS NULL
      ORDER BY m.id LIMIT 1) m
    WHERE s.phone IS NOT NULL
    UNION ALL
    SELECT s.rn, 'NAME_AND_BIRTH_DATE', m.id, NULL
    FROM import_rows s CROSS JOIN LATERAL (
      SELECT id FROM members m WHERE m.church_id = ${churchId} AND lower(m.last_name) = lower(s.last_name)
        AND lower(m.first_name) = lower(s.first_name) AND m.birth_date = s.birth_date AND m.archived_at IS NULL
      ORDER BY m.id LIMIT 1) m
    WHERE s.birth_date IS NOT NULL
    UNION ALL
    SELECT rn, 'EMAIL', NULL, first FROM (
      SELECT rn, min(rn) OVER (PARTITION BY email) AS first FROM import_rows WHERE email IS NOT NULL) x WHERE rn <> first
    UNION ALL
    SELECT rn, 'PHONE', NULL, first FROM (
      SELECT rn, min(rn) OVER (PARTITION BY phone) AS first FROM import_rows WHERE phone IS NOT NULL) x WHERE rn <> first
    UNION ALL
    SELECT rn, 'NAME_AND_BIRTH_DATE', NULL, first FROM (
      SELECT rn, min(rn) OVER (PARTITION BY lower(last_name), lower(first_name), birth_date) AS first
      FROM import_rows WHERE birth_date IS NOT NULL) x WHERE rn <> first`;
}

export interface DuplicateRow {
  rn: number;
  reasons: DuplicateReason[];
  member_id: number | null;
  dup_of: number | null;
}

/** The first `limit` rows with duplicates (by row), and how many rows have one. */
export async function duplicateReport(tx: Queryable, limit: number): Promise<{ rows: DuplicateRow[]; count: number }> {
  const rows = await tx.execute<{ rn: number; reasons: string; member_id: number | null; dup_of: number | null }>(sql`
    SELECT rn, string_agg(DISTINCT reason, ',' ORDER BY reason) AS reasons, min(member_id) AS member_id, min(dup_of) AS dup_of
    FROM import_dups GROUP BY rn ORDER BY rn LIMIT ${limit}`);
  const [c] = await tx.execute<{ n: number }>(sql`SELECT count(DISTINCT rn)::int AS n FROM import_dups`);
  return { rows: rows.map((r) => ({ ...r, reasons: r.reasons.split(',') as DuplicateReason[] })), count: c?.n ?? 0 };
}

/** Rows with a likely duplicate are not created (onDuplicate=skip). */
export async function skipDuplicates(tx: Queryable): Promise<void> {
  await tx.execute(sql`UPDATE import_rows SET skip = true WHERE rn IN (SELECT rn FROM import_dups)`);
}

/** What an apply would create: people, and households (one per distinct name in the file). */
export async function plan(tx: Queryable): Promise<{ people: number; households: number }> {
  const [r] = await tx.execute<{ people: number; households: number }>(sql`
    SELECT count(*) FILTER (WHERE NOT skip)::int AS people,
      count(DISTINCT lower(household_name)) FILTER (WHERE NOT skip AND household_name IS NOT NULL)::int AS households
    FROM import_rows`);
  return r ?? { people: 0, households: 0 };
}

const pair = (column: string): SQL => sql.raw(`CASE WHEN m.${column} IS NULL THEN NULL ELSE jsonb_build_array(NULL, to_jsonb(m.${column})) END`);

/** The audit columns of a created person, as changesOf(null, row, MEMBER_FIELDS) writes them. */
const MEMBER_AUDIT: Array<[string, string]> = [
  ['firstName', 'first_name'], ['lastName', 'last_name'], ['email', 'email'], ['phone', 'phone'], ['status', 'status'],
  ['firstVisitOn', 'first_visit_on'], ['joinedOn', 'joined_on'], ['inactivatedOn', 'inactivated_on'], ['birthDate', 'birth_date'],
  ['householdId', 'household_id'], ['householdRole', 'household_role'], ['smsOptedOutAt', 'sms_opted_out_at'], ['smsOptOutVia', 'sms_opt_out_via'],
];

/**
 * Writes the staged rows that are not skipped: households (one per distinct name, case aside, as
 * spelled first), the people (ids drawn from the members sequence first, so values, tags and audit
 * rows can point at them without a round trip per row), their custom values, the tags the file
 * names that the church lacks, the taggings, and one audit row per person. A number that replied
 * STOP stays opted out for whoever is imported with it (sms_consents), as in importMembers.
 */
export async function applyStaged(tx: Queryable, churchId: number, actor: Actor): Promise<{ people: number; households: number; tagsCreated: string[] }> {
  await tx.execute(sql`
    WITH names AS (
      SELECT DISTINCT ON (lower(household_name)) household_name AS name FROM import_rows
      WHERE household_name IS NOT NULL AND NOT skip ORDER BY lower(household_name), rn
    ), made AS (
      INSERT INTO households (church_id, name) SELECT ${churchId}::int, name FROM names RETURNING id, name
    )
    UPDATE import_rows s SET household_id = made.id FROM made WHERE lower(s.household_name) = lower(made.name) AND NOT s.skip`);
  await tx.execute(sql`UPDATE import_rows SET member_id = nextval(pg_get_serial_sequence('members', 'id')) WHERE NOT skip`);
  const people = await tx.execute<{ id: number }>(sql`
    WITH ins AS (
      INSERT INTO members (id, church_id, household_id, household_role, first_name, last_name, email, phone, status,
        first_visit_on, joined_on, inactivated_on, birth_date, sms_opted_out_at, sms_opt_out_via)
      OVERRIDING SYSTEM VALUE
      SELECT s.member_id, ${churchId}::int, s.household_id, s.household_role, s.first_name, s.last_name, s.email, s.phone, s.status,
        s.first_visit_on, s.joined_on, s.inactivated_on, s.birth_date,
        coalesce(c.opted_out_at, CASE WHEN s.sms_opted_out THEN now() END),
        CASE WHEN c.opted_out_at IS NOT NULL THEN c.via WHEN s.sms_opted_out THEN 'import' END
      FROM import_rows s
      LEFT JOIN sms_consents c ON c.church_id = ${churchId} AND c.phone = s.phone AND c.opted_out_at IS NOT NULL
      WHERE NOT s.skip ORDER BY s.rn
      RETURNING 1)
    SELECT count(*)::int AS id FROM ins`);
  await tx.execute(sql`
    INSERT INTO member_field_values (church_id, member_id, field_id, value_text, value_number, value_date, value_bool, value_choices)
    SELECT ${churchId}::int, s.member_id, e.key::int, e.value->>'text', (e.value->>'number')::numeric, (e.value->>'date')::date,
      (e.value->>'bool')::boolean, CASE WHEN e.value ? 'choices' THEN ARRAY(SELECT jsonb_array_elements_text(e.value->'choices')) END
    FROM import_rows s CROSS JOIN LATERAL jsonb_each(s.fields) e
    WHERE NOT s.skip AND s.fields IS NOT NULL`);
  const tagsCreated = await tx.execute<{ name: string }>(sql`
    INSERT INTO tags (church_id, name)
    SELECT DISTINCT ON (lower(t)) ${churchId}::int, t FROM import_rows s CROSS JOIN LATERAL jsonb_array_elements_text(s.tags) t
    WHERE NOT s.skip AND s.tags IS NOT NULL ORDER BY lower(t)
    ON CONFLICT DO NOTHING RETURNING name`);
  await tx.execute(sql`
    INSERT INTO member_tags (church_id, tag_id, member_id)
    SELECT DISTINCT ${churchId}::int, g.id, s.member_id
    FROM import_rows s CROSS JOIN LATERAL jsonb_array_elements_text(s.tags) t
    JOIN tags g ON g.church_id = ${churchId} AND lower(g.name) = lower(t)
    WHERE NOT s.skip AND s.tags IS NOT NULL`);
  const changes = sql.join(MEMBER_AUDIT.map(([key, col]) => sql`${key}::text, ${pair(col)}`), sql`, `);
  await tx.execute(sql`
    INSERT INTO audit_log (church_id, actor_user_id, actor_token_id, actor_label, entity, entity_id, action, changes)
    SELECT ${churchId}::int, ${actor.userId}::int, ${actor.tokenId}::int, ${actor.label}::text, 'Member', m.id::text, 'import',
      jsonb_strip_nulls(jsonb_build_object(${changes})) || coalesce((
        SELECT jsonb_object_agg('customFields.' || e.key, jsonb_build_array(NULL, (SELECT x.value FROM jsonb_each(e.value) x LIMIT 1)))
        FROM jsonb_each(s.fields) e), '{}'::jsonb)
    FROM import_rows s JOIN members m ON m.id = s.member_id
    WHERE NOT s.skip`);
  const [h] = await tx.execute<{ n: number }>(sql`SELECT count(DISTINCT household_id)::int AS n FROM import_rows WHERE NOT skip`);
  return { people: people[0]?.id ?? 0, households: h?.n ?? 0, tagsCreated: tagsCreated.map((t) => t.name) };
}
