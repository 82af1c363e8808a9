import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { memberMerges } from '../../db/schema/index.js';

export type MergeRow = typeof memberMerges.$inferSelect;

export type DuplicatePairRow = {
  a_id: number;
  b_id: number;
  reasons: string;
};

/**
 * Likely duplicates of one church's non-archived people, as pairs (a < b) with why: the same
 * phone (members_church_phone_idx), the same email, case aside (members_church_email_idx), the
 * same name and birth date (members_church_name_birth_idx). Keyset on (a, b), each branch starting
 * after the cursor.
 */
export async function duplicatePairs(db: Queryable, churchId: number, limit: number, after?: [number, number]): Promise<DuplicatePairRow[]> {
  const [aa, ab] = after ?? [0, 0];
  return db.execute<DuplicatePairRow>(sql`
    SELECT a_id, b_id, string_agg(reason, ',' ORDER BY reason) AS reasons FROM (
      SELECT a.id AS a_id, b.id AS b_id, 'PHONE' AS reason
      FROM members a JOIN members b ON b.church_id = a.church_id AND b.phone = a.phone AND b.id > a.id AND b.archived_at IS NULL
      WHERE a.church_id = ${churchId} AND a.phone IS NOT NULL AND a.archived_at IS NULL AND (a.id, b.id) > (${aa}, ${ab})
      UNION ALL
      SELECT a.id, b.id, 'EMAIL'
      FROM members a JOIN members b ON b.church_id = a.church_id AND lower(b.email) = lower(a.email) AND b.id > a.id
        AND b.email IS NOT NULL AND b.archived_at IS NULL
      WHERE a.church_id = ${churchId} AND a.email IS NOT NULL AND a.archived_at IS NULL AND (a.id, b.id) > (${aa}, ${ab})
      UNION ALL
      SELECT a.id, b.id, 'NAME_AND_BIRTH_DATE'
      FROM members a JOIN members b ON b.church_id = a.church_id AND lower(b.last_name) = lower(a.last_name)
        AND lower(b.first_name) = lower(a.first_name) AND b.birth_date = a.birth_date AND b.id > a.id
        AND b.birth_date IS NOT NULL AND b.archived_at IS NULL
      WHERE a.church_id = ${churchId} AND a.birth_date IS NOT NULL AND a.archived_at IS NULL AND (a.id, b.id) > (${aa}, ${ab})
    ) x
    GROUP BY a_id, b_id
    ORDER BY a_id, b_id
    LIMIT ${limit}`);
}

export interface MovedCounts {
  /** email consent rows moved, or an unsubscribe carried over to the kept person */
  emailConsents: number;
  groupMemberships: number;
  groupMembershipsCombined: number;
  messageRecipients: number;
  messageRecipientsDuplicate: number;
  checkIns: number;
  checkInsDuplicate: number;
  customValues: number;
  customValuesKept: number;
  tags: number;
}

const n = (rows: Array<{ n: number }>) => rows[0]?.n ?? 0;

/**
 * Moves everything of `remove` that points at a member to `keep` (one church; inside the merge's
 * transaction). Where both have a row with the same key, one is kept: a group membership keeps the
 * earlier joinedOn and the higher role (LEADER); the same text, check-in or tag is one; a custom
 * value of keep wins over remove's. The FK list is checked by test/merge.test.ts against pg_constraint.
 */
export async function moveReferences(tx: Queryable, churchId: number, keep: number, remove: number): Promise<MovedCounts> {
  const combined = n(await tx.execute<{ n: number }>(sql`
    WITH both_in AS (
      SELECT r.group_id, r.joined_on, r.role FROM group_memberships r
      WHERE r.member_id = ${remove} AND EXISTS (SELECT 1 FROM group_memberships k WHERE k.group_id = r.group_id AND k.member_id = ${keep})
    ), upd AS (
      UPDATE group_memberships k SET joined_on = least(k.joined_on, b.joined_on),
        role = CASE WHEN k.role = 'leader' OR b.role = 'leader' THEN 'leader'::group_role ELSE k.role END
      FROM both_in b WHERE k.group_id = b.group_id AND k.member_id = ${keep} RETURNING 1
    ), del AS (
      DELETE FROM group_memberships r USING both_in b WHERE r.group_id = b.group_id AND r.member_id = ${remove} RETURNING 1
    ) SELECT count(*)::int AS n FROM del`));
  const memberships = n(await tx.execute<{ n: number }>(sql`
    WITH m AS (UPDATE group_memberships SET member_id = ${keep} WHERE church_id = ${churchId} AND member_id = ${remove} RETURNING 1)
    SELECT count(*)::int AS n FROM m`));

  // message_recipients is partitioned by the message's created_at, which does not change here, so
  // each row stays in its month; its unique key is (message, member, month): a text both got is one
  const dupTexts = n(await tx.execute<{ n: number }>(sql`
    WITH d AS (
      DELETE FROM message_recipients r WHERE r.member_id = ${remove} AND r.church_id = ${churchId} AND EXISTS (
        SELECT 1 FROM message_recipients k WHERE k.message_id = r.message_id AND k.created_at = r.created_at AND k.member_id = ${keep})
      RETURNING 1
    ) SELECT count(*)::int AS n FROM d`));
  const texts = n(await tx.execute<{ n: number }>(sql`
    WITH u AS (UPDATE message_recipients SET member_id = ${keep}, updated_at = now() WHERE church_id = ${churchId} AND member_id = ${remove} RETURNING 1)
    SELECT count(*)::int AS n FROM u`));

  const dupCheckIns = n(await tx.execute<{ n: number }>(sql`
    WITH d AS (
      DELETE FROM check_ins r WHERE r.church_id = ${churchId} AND r.member_id = ${remove} AND EXISTS (
        SELECT 1 FROM check_ins k WHERE k.event_id = r.event_id AND k.occurrence_start = r.occurrence_start AND k.member_id = ${keep})
      RETURNING 1
    ) SELECT count(*)::int AS n FROM d`));
  const checkIns = n(await tx.execute<{ n: number }>(sql`
    WITH u AS (UPDATE check_ins SET member_id = ${keep} WHERE church_id = ${churchId} AND member_id = ${remove} RETURNING 1)
    SELECT count(*)::int AS n FROM u`));

  const valuesKept = n(await tx.execute<{ n: number }>(sql`
    WITH d AS (
      DELETE FROM member_field_values r WHERE r.member_id = ${remove} AND EXISTS (
        SELECT 1 FROM member_field_values k WHERE k.member_id = ${keep} AND k.field_id = r.field_id)
      RETURNING 1
    ) SELECT count(*)::int AS n FROM d`));
  const values = n(await tx.execute<{ n: number }>(sql`
    WITH u AS (UPDATE member_field_values SET member_id = ${keep}, updated_at = now() WHERE church_id = ${churchId} AND member_id = ${remove} RETURNING 1)
    SELECT count(*)::int AS n FROM u`));

  await tx.execute(sql`
    DELETE FROM member_tags r WHERE r.member_id = ${remove} AND EXISTS (
      SELECT 1 FROM member_tags k WHERE k.tag_id = r.tag_id AND k.member_id = ${keep})`);
  const tags = n(await tx.execute<{ n: number }>(sql`
    WITH u AS (UPDATE member_tags SET member_id = ${keep} WHERE church_id = ${churchId} AND member_id = ${remove} RETURNING 1)
    SELECT count(*)::int AS n FROM u`));

  // email consent (one row per person): an unsubscribe under either record holds for the kept
  // person, as a text opt-out does (fill() in merge.service.ts)
  const emailConsents = n(await tx.execute<{ n: number }>(sql`
    WITH r AS (SELECT * FROM email_consents WHERE church_id = ${churchId} AND member_id = ${remove}),
    upd AS (
      UPDATE email_consents k SET opted_out_at = r.opted_out_at, via = r.via, updated_at = now()
      FROM r WHERE k.church_id = ${churchId} AND k.member_id = ${keep} AND k.opted_out_at IS NULL AND r.opted_out_at IS NOT NULL
      RETURNING 1
    ), mv AS (
      UPDATE email_consents x SET member_id = ${keep}, updated_at = now()
      WHERE x.church_id = ${churchId} AND x.member_id = ${remove}
        AND NOT EXISTS (SELECT 1 FROM email_consents k WHERE k.church_id = ${churchId} AND k.member_id = ${keep})
      RETURNING 1
    ) SELECT ((SELECT count(*) FROM upd) + (SELECT count(*) FROM mv))::int AS n`));

  return {
    emailConsents,
    groupMemberships: memberships,
    groupMembershipsCombined: combined,
    messageRecipients: texts,
    messageRecipientsDuplicate: dupTexts,
    checkIns,
    checkInsDuplicate: dupCheckIns,
    customValues: values,
    customValuesKept: valuesKept,
    tags,
  };
}

/** Group ids the member belongs to (cache invalidation of the groups a merge touched). */
export async function groupIdsOf(db: Queryable, memberId: number): Promise<number[]> {
  const rows = await db.execute<{ group_id: number }>(sql`SELECT group_id FROM group_memberships WHERE member_id = ${memberId} LIMIT 1000`);
  return rows.map((r) => r.group_id);
}

/** Both people, locked in id order (two merges of the same people wait for each other). */
export async function lockPair(db: Queryable, churchId: number, ids: [number, number]): Promise<number[]> {
  const rows = await db.execute<{ id: number }>(sql`
    SELECT id FROM members WHERE church_id = ${churchId} AND id IN (${ids[0]}, ${ids[1]}) ORDER BY id FOR UPDATE`);
  return rows.map((r) => r.id);
}

export async function insertMerge(db: Queryable, row: typeof memberMerges.$inferInsert): Promise<MergeRow> {
  const [r] = await db.insert(memberMerges).values(row).returning();
  return r!;
}

export async function deleteMember(db: Queryable, churchId: number, id: number): Promise<void> {
  await db.execute(sql`DELETE FROM members WHERE church_id = ${churchId} AND id = ${id}`);
}

export async function valuesSnapshot(db: Queryable, memberId: number): Promise<Record<string, unknown>[]> {
  const rows = await db.execute<Record<string, unknown>>(sql`
    SELECT field_id, value_text, value_number, value_date, value_bool, value_choices FROM member_field_values WHERE member_id = ${memberId} LIMIT 1000`);
  return [...rows];
}

export async function mergesPage(db: Queryable, churchId: number, limit: number, afterId?: number): Promise<MergeRow[]> {
  return db
    .select()
    .from(memberMerges)
    .where(sql`${memberMerges.churchId} = ${churchId}${afterId !== undefined ? sql` AND ${memberMerges.id} < ${afterId}` : sql``}`)
    .orderBy(sql`${memberMerges.id} DESC`)
    .limit(limit);
}

export async function countMerges(db: Queryable, churchId: number): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM member_merges WHERE church_id = ${churchId}`);
  return rows[0]?.n ?? 0;
}
