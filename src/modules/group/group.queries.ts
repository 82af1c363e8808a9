import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { groupMemberships, groups, type GroupKind, type GroupRole } from '../../db/schema/index.js';
import { insertedRow, intArray, toDate } from '../../db/sql.js';
import { memberFromRaw, type MemberRawRow, type MemberRow } from '../member/member.queries.js';

export type GroupRow = typeof groups.$inferSelect;
export type NewGroupRow = typeof groups.$inferInsert;
export type MembershipRow = typeof groupMemberships.$inferSelect;

export interface GroupMemberRow {
  member: MemberRow;
  role: GroupRole;
  joinedOn: string;
}

/** A raw `g.*` row as db.execute delivers it: snake_case keys, timestamps as text (src/db/sql.ts). */
type GroupRawRow = {
  id: number;
  church_id: number;
  name: string;
  kind: GroupKind;
  description: string | null;
  created_at: string;
  updated_at: string;
};

function groupFromRaw(r: GroupRawRow): GroupRow {
  return {
    id: r.id,
    churchId: r.church_id,
    name: r.name,
    kind: r.kind,
    description: r.description,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

export async function groupsByIds(db: Queryable, ids: readonly number[], scope: readonly number[]): Promise<GroupRow[]> {
  if (!scope.length) return [];
  return db
    .select()
    .from(groups)
    .where(and(sql`${groups.id} = ANY(${intArray(ids)})`, sql`${groups.churchId} = ANY(${intArray(scope)})`));
}

/** Church.groups / groups(churchId): keyset pages for several churches in one statement (groups_church_name_idx). */
export async function pageGroupsByChurch(
  db: Queryable,
  churchIds: readonly number[],
  limit: number,
  after?: Array<string | number | null>,
): Promise<Map<number, GroupRow[]>> {
  const keyset = after ? sql`(lower(g.name), g.id) > (${after[0]}, ${after[1]})` : sql`TRUE`;
  const rows = await db.execute<GroupRawRow>(sql`
    SELECT g.* FROM unnest(${intArray(churchIds)}) AS c(id)
    CROSS JOIN LATERAL (
      SELECT g.* FROM groups g WHERE g.church_id = c.id AND ${keyset}
      ORDER BY lower(g.name), g.id LIMIT ${limit}
    ) g`);
  const out = new Map<number, GroupRow[]>();
  for (const r of rows) {
    const g = groupFromRaw(r);
    out.set(g.churchId, [...(out.get(g.churchId) ?? []), g]);
  }
  return out;
}

export async function countGroupsByChurch(db: Queryable, churchIds: readonly number[]): Promise<Map<number, number>> {
  const rows = await db.execute<{ church_id: number; n: number }>(sql`
    SELECT church_id, count(*)::int AS n FROM groups
    WHERE church_id = ANY(${intArray(churchIds)}) GROUP BY church_id`);
  return new Map(rows.map((r) => [r.church_id, r.n]));
}

/** Member.groups: the groups of several members in one statement, at most `cap` each (group_memberships_member_idx). */
export async function groupsByMember(
  db: Queryable,
  memberIds: readonly number[],
  cap: number,
  scope: readonly number[],
): Promise<Map<number, GroupRow[]>> {
  if (!scope.length) return new Map();
  const rows = await db.execute<GroupRawRow & { member_id: number }>(sql`
    SELECT x.member_id, x.id, x.church_id, x.name, x.kind, x.description, x.created_at, x.updated_at FROM (
      SELECT gm.member_id, g.*, row_number() OVER (PARTITION BY gm.member_id ORDER BY lower(g.name), g.id) AS rn
      FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
      WHERE gm.member_id = ANY(${intArray(memberIds)}) AND gm.church_id = ANY(${intArray(scope)})
    ) x WHERE x.rn <= ${cap}
    ORDER BY x.member_id, x.rn`);
  const out = new Map<number, GroupRow[]>();
  for (const r of rows) {
    const k = r.member_id;
    const g = groupFromRaw(r);
    const list = out.get(k);
    if (list) list.push(g);
    else out.set(k, [g]);
  }
  return out;
}

/** Group.members: pages of non-archived members in name order for several groups in one statement (PK group_id, member_id). */
export async function pageMembersByGroup(
  db: Queryable,
  groupIds: readonly number[],
  limit: number,
  after: Array<string | number | null> | undefined,
  scope: readonly number[],
): Promise<Map<number, GroupMemberRow[]>> {
  if (!scope.length) return new Map();
  const keyset = after
    ? sql`(lower(m.last_name), lower(m.first_name), m.id) > (${after[0]}, ${after[1]}, ${after[2]})`
    : sql`TRUE`;
  // gm.joined_on is a date: text, like every date of a raw row
  const rows = await db.execute<MemberRawRow & { gm_group_id: number; gm_role: GroupRole; gm_joined_on: string }>(sql`
    SELECT p.* FROM unnest(${intArray(groupIds)}) AS g(id)
    CROSS JOIN LATERAL (
      SELECT gm.group_id AS gm_group_id, gm.role AS gm_role, gm.joined_on AS gm_joined_on, m.*
      FROM group_memberships gm JOIN members m ON m.id = gm.member_id
      WHERE gm.group_id = g.id AND gm.church_id = ANY(${intArray(scope)}) AND m.archived_at IS NULL AND ${keyset}
      ORDER BY lower(m.last_name), lower(m.first_name), m.id LIMIT ${limit}
    ) p`);
  const out = new Map<number, GroupMemberRow[]>();
  for (const r of rows) {
    const k = r.gm_group_id;
    const row = { member: memberFromRaw(r), role: r.gm_role, joinedOn: r.gm_joined_on };
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}

export async function countMembersByGroup(
  db: Queryable,
  groupIds: readonly number[],
  scope: readonly number[],
): Promise<Map<number, number>> {
  if (!scope.length) return new Map();
  const rows = await db.execute<{ group_id: number; n: number }>(sql`
    SELECT gm.group_id, count(*)::int AS n
    FROM group_memberships gm JOIN members m ON m.id = gm.member_id AND m.archived_at IS NULL
    WHERE gm.group_id = ANY(${intArray(groupIds)}) AND gm.church_id = ANY(${intArray(scope)})
    GROUP BY gm.group_id`);
  return new Map(rows.map((r) => [r.group_id, r.n]));
}

export async function insertGroup(db: Queryable, row: NewGroupRow): Promise<GroupRow> {
  return insertedRow(await db.insert(groups).values(row).returning());
}

export async function updateGroup(db: Queryable, id: number, patch: Partial<NewGroupRow>): Promise<GroupRow | undefined> {
  const [g] = await db
    .update(groups)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(groups.id, id))
    .returning();
  return g;
}

/** Adds or updates (role, joined date) a membership; the composite keys reject cross-church pairs. */
export async function upsertMembership(
  db: Queryable,
  row: { churchId: number; groupId: number; memberId: number; role: GroupRole; joinedOn: string },
  /** when the membership exists: overwrite its joined date (true) or keep it (false) */
  replaceJoinedOn: boolean,
): Promise<MembershipRow> {
  // DO UPDATE returns the row it updated: one row either way
  return insertedRow(
    await db
      .insert(groupMemberships)
      .values(row)
      .onConflictDoUpdate({
        target: [groupMemberships.groupId, groupMemberships.memberId],
        set: { role: row.role, ...(replaceJoinedOn ? { joinedOn: row.joinedOn } : {}) },
      })
      .returning(),
  );
}

export async function deleteMembership(db: Queryable, groupId: number, memberId: number): Promise<boolean> {
  const rows = await db
    .delete(groupMemberships)
    .where(and(eq(groupMemberships.groupId, groupId), eq(groupMemberships.memberId, memberId)))
    .returning({ groupId: groupMemberships.groupId });
  return rows.length > 0;
}
