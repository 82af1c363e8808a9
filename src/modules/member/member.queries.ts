import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { members, type HouseholdRole, type MemberStatus } from '../../db/schema/index.js';
import { intArray, likeEscape, toDate } from '../../db/sql.js';
import { coalesced, IDS_PLACEHOLDER } from '../../db/coalesce.js';
import { COLUMN_OF, fieldConditionSql, type FieldCondition } from '../field/field.queries.js';
import type { CustomFieldType } from '../../db/schema/index.js';

export type MemberRow = typeof members.$inferSelect;
export type NewMemberRow = typeof members.$inferInsert;

export type MemberOrder = 'NAME' | 'JOINED';

export interface MemberFilter {
  status?: MemberStatus[];
  search?: string;
  groupId?: number;
  householdId?: number;
  archived: boolean;
  /** custom field conditions (all must hold) */
  fields?: FieldCondition[];
  /** has any of these tags */
  tagIds?: number[];
}

/**
 * A condition over `m` beyond the filter (a smart list's compiled rules), with a key naming it
 * (the list and its rules' version) for the loaders that batch by argument.
 */
export interface ExtraWhere {
  key: string;
  sql: SQL;
}

export interface MemberPageArgs {
  filter: MemberFilter;
  orderBy: MemberOrder;
  /** rows to fetch: page size + 1, to learn whether a next page exists */
  limit: number;
  /** decoded cursor keys: NAME → [lower(last), lower(first), id]; JOINED → [joined or '-infinity', id] */
  after?: Array<string | number | null>;
}

const COLUMNS = sql.raw(
  'm.id, m.church_id, m.household_id, m.household_role, m.first_name, m.last_name, m.email, m.phone, m.status, ' +
    'm.first_visit_on, m.joined_on, m.inactivated_on, m.birth_date, m.sms_opted_out_at, m.sms_opt_out_via, ' +
    'm.archived_at, m.search_text, m.created_at, m.updated_at',
);

/**
 * A raw `m.*` row (COLUMNS, or `m.*` of a subquery) as db.execute delivers it: snake_case keys,
 * dates and timestamps as text (src/db/sql.ts), enums as their labels. A type, not an interface:
 * db.execute wants a row type that is a Record<string, unknown>.
 */
export type MemberRawRow = {
  id: number;
  church_id: number;
  household_id: number | null;
  household_role: HouseholdRole | null;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  status: MemberStatus;
  first_visit_on: string | null;
  joined_on: string | null;
  inactivated_on: string | null;
  birth_date: string | null;
  sms_opted_out_at: string | null;
  sms_opt_out_via: string | null;
  archived_at: string | null;
  search_text: string | null;
  created_at: string;
  updated_at: string;
};

/** Maps a raw member row to drizzle's row shape. */
export function memberFromRaw(r: MemberRawRow): MemberRow {
  return {
    id: r.id,
    churchId: r.church_id,
    householdId: r.household_id,
    householdRole: r.household_role,
    firstName: r.first_name,
    lastName: r.last_name,
    email: r.email,
    phone: r.phone,
    status: r.status,
    firstVisitOn: r.first_visit_on,
    joinedOn: r.joined_on,
    inactivatedOn: r.inactivated_on,
    birthDate: r.birth_date,
    smsOptedOutAt: toDate(r.sms_opted_out_at),
    smsOptOutVia: r.sms_opt_out_via,
    archivedAt: toDate(r.archived_at),
    searchText: r.search_text,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** Member.groups' cap (the memberGroups loader's too); the directory query embeds the same list. */
export const GROUPS_CAP = 100;

/** What the one-statement directory page carries besides the member. */
export interface PageExtras {
  household: { id: number; churchId: number; name: string; createdAt: Date; updatedAt: Date } | null;
  groups: Array<{ id: number; churchId: number; name: string; kind: string; description: string | null; createdAt: Date; updatedAt: Date }>;
  total: number | null;
}
export type PagedMember = MemberRow & { page?: PageExtras };

/** A group of the page's groups_json: [id, name, kind, description, created_at, updated_at] (timestamps as JSON text). */
type PageGroup = [number, string, string, string | null, string, string];

/**
 * A row of the one-statement directory page: the member, its household (LEFT JOIN: all null
 * without one; with a household_id there is a household, the foreign key sees to it), its groups
 * (json: postgres.js parses it) and the total (null: not counted).
 */
type DirectoryRow = MemberRawRow &
  (
    | { household_id: number; h_name: string; h_created_at: string; h_updated_at: string }
    | { household_id: null; h_name: null; h_created_at: null; h_updated_at: null }
  ) & { groups_json: PageGroup[] | string; total: number | null };

/**
 * createdAt and updatedAt of a directory page's rows (the member, its household, its groups), read
 * from PostgreSQL's text when first asked: a page carries seven or so per person and most pages show
 * none of them. Each is a Date once read, and may be set like a plain property.
 */
class Stamps {
  #created: string | Date;
  #updated: string | Date;
  constructor(created: string, updated: string) {
    this.#created = created;
    this.#updated = updated;
  }
  get createdAt(): Date {
    const v = this.#created;
    return typeof v === 'string' ? (this.#created = toDate(v)) : v;
  }
  set createdAt(v: Date) {
    this.#created = v;
  }
  get updatedAt(): Date {
    const v = this.#updated;
    return typeof v === 'string' ? (this.#updated = toDate(v)) : v;
  }
  set updatedAt(v: Date) {
    this.#updated = v;
  }
  /** as a plain object would serialize (the stamps are accessors: JSON.stringify would skip them) */
  toJSON(): Record<string, unknown> {
    const out = { ...this } as Record<string, unknown>;
    out.createdAt = this.createdAt;
    out.updatedAt = this.updatedAt;
    return out;
  }
}

class PageGroupRow extends Stamps {
  constructor(
    readonly id: number,
    readonly churchId: number,
    readonly name: string,
    readonly kind: string,
    readonly description: string | null,
    createdAt: string,
    updatedAt: string,
  ) {
    super(createdAt, updatedAt);
  }
}

class PageHouseholdRow extends Stamps {
  constructor(
    readonly id: number,
    readonly churchId: number,
    readonly name: string,
    createdAt: string,
    updatedAt: string,
  ) {
    super(createdAt, updatedAt);
  }
}

/** A member of a directory page with its page extras, every property set in the constructor. */
class PageMemberRow extends Stamps implements PagedMember {
  id: number;
  churchId: number;
  householdId: number | null;
  householdRole: HouseholdRole | null;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  status: MemberStatus;
  firstVisitOn: string | null;
  joinedOn: string | null;
  inactivatedOn: string | null;
  birthDate: string | null;
  smsOptedOutAt: Date | null;
  smsOptOutVia: string | null;
  archivedAt: Date | null;
  searchText: string | null;
  page: PageExtras;

  constructor(r: DirectoryRow) {
    super(r.created_at, r.updated_at);
    // JSON.parse returns any: the shape is the json_build_array of the statement
    const groups = typeof r.groups_json === 'string' ? (JSON.parse(r.groups_json) as PageGroup[]) : r.groups_json;
    const churchId = r.church_id;
    const list: PageExtras['groups'] = new Array(groups.length);
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      list[i] = new PageGroupRow(g[0], churchId, g[1], g[2], g[3], g[4], g[5]);
    }
    this.id = r.id;
    this.churchId = churchId;
    this.householdId = r.household_id;
    this.householdRole = r.household_role;
    this.firstName = r.first_name;
    this.lastName = r.last_name;
    this.email = r.email;
    this.phone = r.phone;
    this.status = r.status;
    this.firstVisitOn = r.first_visit_on;
    this.joinedOn = r.joined_on;
    this.inactivatedOn = r.inactivated_on;
    this.birthDate = r.birth_date;
    this.smsOptedOutAt = toDate(r.sms_opted_out_at);
    this.smsOptOutVia = r.sms_opt_out_via;
    this.archivedAt = toDate(r.archived_at);
    this.searchText = r.search_text;
    this.page = {
      // the test of household_id (ids start at 1), made on the row so that it types the h_ columns
      household: r.household_id !== null ? new PageHouseholdRow(r.household_id, churchId, r.h_name, r.h_created_at, r.h_updated_at) : null,
      groups: list,
      total: r.total,
    };
  }
}

const pagedMember = (r: DirectoryRow): PagedMember => new PageMemberRow(r);

/** A search term as stored in search_text: lower case; phone-like input reduced to its digits. */
export function searchPattern(term: string): string {
  const t = term.trim().toLowerCase();
  const needle = /^[\d\s()+.-]+$/.test(t) && /\d/.test(t) ? t.replace(/\D/g, '') : t;
  return `%${likeEscape(needle)}%`;
}

export function filterSql(f: MemberFilter, extra?: ExtraWhere): SQL {
  const parts: SQL[] = [f.archived ? sql`m.archived_at IS NOT NULL` : sql`m.archived_at IS NULL`];
  if (f.status?.length === 1) {
    // equality, so members_status_directory_idx yields rows already in name order
    parts.push(sql`m.status = ${f.status[0]}::member_status`);
  } else if (f.status?.length) {
    parts.push(sql`m.status = ANY(string_to_array(${f.status.join(',')}, ',')::member_status[])`);
  }
  if (f.search) parts.push(sql`m.search_text LIKE ${searchPattern(f.search)}`);
  if (f.householdId !== undefined) parts.push(sql`m.household_id = ${f.householdId}`);
  if (f.groupId !== undefined) {
    parts.push(
      sql`EXISTS (SELECT 1 FROM group_memberships gm WHERE gm.group_id = ${f.groupId} AND gm.member_id = m.id)`,
    );
  }
  for (const c of f.fields ?? []) parts.push(fieldConditionSql(c));
  if (f.tagIds?.length) {
    parts.push(sql`EXISTS (SELECT 1 FROM member_tags mt WHERE mt.member_id = m.id AND mt.tag_id = ANY(${intArray(f.tagIds)}))`);
  }
  if (extra) parts.push(sql`(${extra.sql})`);
  return sql.join(parts, sql` AND `);
}

export function orderSql(order: MemberOrder): SQL {
  return order === 'NAME'
    ? sql`lower(m.last_name), lower(m.first_name), m.id`
    : sql`coalesce(m.joined_on, '-infinity'::date) DESC, m.id DESC`;
}

function keysetSql(order: MemberOrder, after: MemberPageArgs['after']): SQL {
  if (!after) return sql`TRUE`;
  if (order === 'NAME') {
    const [last, first, id] = after;
    return sql`(lower(m.last_name), lower(m.first_name), m.id) > (${last}, ${first}, ${id})`;
  }
  const [joined, id] = after;
  return sql`(coalesce(m.joined_on, '-infinity'::date), m.id) < (${joined}::date, ${id})`;
}

/** Sort key of a row, as the cursor stores it (must match keysetSql). */
export function memberSortKey(order: MemberOrder, m: MemberRow): Array<string | number> {
  return order === 'NAME'
    ? [m.lastName.toLowerCase(), m.firstName.toLowerCase(), m.id]
    : [m.joinedOn ?? '-infinity', m.id];
}

/**
 * One directory page for each of several churches in ONE statement (LATERAL per church), so
 * `churches { members(first: 20) }` costs a single query. Served by members_directory_idx,
 * members_status_directory_idx, members_joined_idx, members_archived_idx or, for search,
 * members_search_trgm_idx.
 */
export async function pageMembersByChurch(
  db: Queryable,
  churchIds: readonly number[],
  a: MemberPageArgs,
): Promise<Map<number, MemberRow[]>> {
  if (churchIds.length === 1) {
    const out = new Map<number, MemberRow[]>();
    out.set(churchIds[0]!, await pageOneChurch(db, churchIds[0]!, a));
    return out;
  }
  const rows = await db.execute<MemberRawRow>(sql`
    SELECT ${COLUMNS}
    FROM unnest(${intArray(churchIds)}) AS c(id)
    CROSS JOIN LATERAL (
      SELECT m.* FROM members m
      WHERE m.church_id = c.id AND ${filterSql(a.filter)} AND ${keysetSql(a.orderBy, a.after)}
      ORDER BY ${orderSql(a.orderBy)}
      LIMIT ${a.limit}
    ) m`);
  return groupRows(rows, (r) => r.church_id);
}

/**
 * The directory page of one church in one statement (see pageMembersByChurch); `extra` adds a
 * smart list's rules to the filter.
 */
export async function pageOneChurch(db: Queryable, churchId: number, a: MemberPageArgs, extra?: ExtraWhere): Promise<PagedMember[]> {
  // Without a search or a smart list's rules the plan does not depend on the church (an index
  // scan of its rows in page order, and a count of them): concurrent requests' pages are
  // coalesced into one statement (src/db/coalesce.ts), each request still getting its own rows.
  if (!a.filter.search && !extra) {
    const rows = coalesced<DirectoryRow & { ord: number }>(db, `members.page ${pageKey(a)}`, churchId, () => directoryPages(a), () =>
      directoryPage(sql`${IDS_PLACEHOLDER}::int`, a),
    );
    if (rows) return (await rows).map(pagedMember);
  }
  return (await db.execute<DirectoryRow>(directoryPage(sql`${churchId}`, a, extra))).map(pagedMember);
}

/**
 * The directory page of one church (`church`: its id, or IDS_PLACEHOLDER as a coalesced batch of
 * one sends it). A plain church_id = $1 lets the planner use the statistics of that church: for a
 * search in a large church it picks the trigram index, where the LATERAL form, planned for an
 * unknown church, would read the whole church. One statement for the whole directory page, like a
 * hand-written query would: each member's household and groups (capped like Member.groups) and the
 * total come along, so the page's relations and totalCount cost no further round trip. (A search's
 * total can be costly in a large church: it is counted only when asked for.)
 */
function directoryPage(church: SQL, a: MemberPageArgs, extra?: ExtraWhere): SQL {
  return sql`
    SELECT ${COLUMNS},
      h.name AS h_name, h.created_at AS h_created_at, h.updated_at AS h_updated_at,
      (SELECT coalesce(json_agg(json_build_array(x.id, x.name, x.kind, x.description, x.created_at, x.updated_at)), '[]')
         FROM (SELECT g.* FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
               WHERE gm.member_id = m.id ORDER BY lower(g.name), g.id LIMIT ${GROUPS_CAP}) x) AS groups_json,
      ${a.filter.search ? sql`NULL::int` : sql`(SELECT count(*)::int FROM members m WHERE m.church_id = ${church} AND ${filterSql(a.filter, extra)})`} AS total
    FROM members m LEFT JOIN households h ON h.id = m.household_id
    WHERE m.church_id = ${church} AND ${filterSql(a.filter, extra)} AND ${keysetSql(a.orderBy, a.after)}
    ORDER BY ${orderSql(a.orderBy)}
    LIMIT ${a.limit}`;
}

/** What the text and parameters of directoryPages depend on: the whole of the page's arguments. */
function pageKey(a: MemberPageArgs): string {
  return JSON.stringify([a.filter, a.orderBy, a.limit, a.after ?? null]);
}

/**
 * pageOneChurch's statement for the churches of a coalesced list (IDS_PLACEHOLDER), each church's
 * rows tagged with its position (`ord`) and in page order: per church, its total (once, in its own
 * LATERAL), its page of members, each member's household and groups.
 */
function directoryPages(a: MemberPageArgs): SQL {
  return sql`
    SELECT c.ord, ${COLUMNS},
      h.name AS h_name, h.created_at AS h_created_at, h.updated_at AS h_updated_at,
      (SELECT coalesce(json_agg(json_build_array(x.id, x.name, x.kind, x.description, x.created_at, x.updated_at)), '[]')
         FROM (SELECT g.* FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
               WHERE gm.member_id = m.id ORDER BY lower(g.name), g.id LIMIT ${GROUPS_CAP}) x) AS groups_json,
      t.total
    FROM unnest(string_to_array(${IDS_PLACEHOLDER}, ',')::int[]) WITH ORDINALITY AS c(id, ord)
    CROSS JOIN LATERAL (SELECT count(*)::int AS total FROM members m WHERE m.church_id = c.id AND ${filterSql(a.filter)}) t
    CROSS JOIN LATERAL (
      SELECT m.* FROM members m
      WHERE m.church_id = c.id AND ${filterSql(a.filter)} AND ${keysetSql(a.orderBy, a.after)}
      ORDER BY ${orderSql(a.orderBy)}
      LIMIT ${a.limit}
    ) m
    LEFT JOIN households h ON h.id = m.household_id
    ORDER BY c.ord, ${orderSql(a.orderBy)}`;
}

/** The count of one church's members under a filter and an extra condition (a smart list). */
export async function countOneChurch(db: Queryable, churchId: number, f: MemberFilter, extra?: ExtraWhere): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM members m WHERE m.church_id = ${churchId} AND ${filterSql(f, extra)}`);
  return r?.n ?? 0;
}

/** Which of these tag ids are tags of the church (a filter naming another church's tag is NOT_FOUND). */
export async function tagIdsInChurch(db: Queryable, churchId: number, ids: readonly number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await db.execute<{ id: number }>(sql`SELECT id FROM tags WHERE church_id = ${churchId} AND id = ANY(${intArray(ids)})`);
  return rows.map((r) => r.id);
}

export async function countMembersByChurch(
  db: Queryable,
  churchIds: readonly number[],
  f: MemberFilter,
): Promise<Map<number, number>> {
  const rows = await db.execute<{ church_id: number; n: number }>(sql`
    SELECT m.church_id, count(*)::int AS n FROM members m
    WHERE m.church_id = ANY(${intArray(churchIds)}) AND ${filterSql(f)}
    GROUP BY m.church_id`);
  return new Map(rows.map((r) => [r.church_id, r.n]));
}

/** The directory ordered by a custom field: who has a value (by it), then who has none (by name). */
export interface FieldOrder {
  fieldId: number;
  type: CustomFieldType;
  descending: boolean;
}

/** A cursor of a field-ordered page: [0, value as text, '', id] among the valued, [1, last, first, id] after them. */
export type FieldCursor = [phase: number, a: string, b: string, id: number];

export type FieldPagedMember = MemberRow & { sortKey: FieldCursor };

/**
 * One page of a church's directory ordered by a custom field. Two index-ordered parts in one
 * statement: the field's values in (field_id, value, member_id) order (the value-type index, read
 * backwards when descending), then the members without a value in name order
 * (members_directory_idx); the Append stops as soon as the LIMIT is met.
 */
export async function pageMembersByField(
  db: Queryable,
  churchId: number,
  f: MemberFilter,
  o: FieldOrder,
  limit: number,
  after?: FieldCursor,
  extra?: ExtraWhere,
): Promise<FieldPagedMember[]> {
  const column = COLUMN_OF[o.type];
  const valueExpr = sql.raw(column === 'value_text' ? 'lower(v.value_text)' : `v.${column}`);
  const cast = sql.raw(o.type === 'number' ? '::numeric' : o.type === 'date' ? '::date' : o.type === 'yes_no' ? '::boolean' : '');
  const dir = sql.raw(o.descending ? 'DESC' : 'ASC');
  const cmp = sql.raw(o.descending ? '<' : '>');
  const valued = sql`(
      SELECT ${COLUMNS}, 0 AS phase, ${valueExpr}::text AS sort_value
      FROM member_field_values v JOIN members m ON m.id = v.member_id
      WHERE v.field_id = ${o.fieldId} AND v.${sql.raw(column)} IS NOT NULL AND m.church_id = ${churchId} AND ${filterSql(f, extra)}
        ${after ? sql`AND (${valueExpr}, v.member_id) ${cmp} (${after[1]}${cast}, ${after[3]})` : sql``}
      ORDER BY ${valueExpr} ${dir}, v.member_id ${dir}
      LIMIT ${limit})`;
  const rest = sql`(
      SELECT ${COLUMNS}, 1 AS phase, NULL::text AS sort_value
      FROM members m
      WHERE m.church_id = ${churchId} AND ${filterSql(f, extra)}
        AND NOT EXISTS (SELECT 1 FROM member_field_values v WHERE v.member_id = m.id AND v.field_id = ${o.fieldId})
        ${after?.[0] === 1 ? sql`AND (lower(m.last_name), lower(m.first_name), m.id) > (${after[1]}, ${after[2]}, ${after[3]})` : sql``}
      ORDER BY lower(m.last_name), lower(m.first_name), m.id
      LIMIT ${limit})`;
  const rows = await db.execute<MemberRawRow & { phase: number; sort_value: string | null }>(
    after?.[0] === 1 ? rest : sql`${valued} UNION ALL ${rest} LIMIT ${limit}`,
  );
  return rows.map((r) => {
    const m = memberFromRaw(r);
    const sortKey: FieldCursor = r.phase === 0 ? [0, r.sort_value!, '', m.id] : [1, m.lastName.toLowerCase(), m.firstName.toLowerCase(), m.id];
    return Object.assign(m, { sortKey });
  });
}

/** Members by id, only within the churches in `scope` (tenancy enforced in SQL, not only in resolvers). */
export async function membersByIds(db: Queryable, ids: readonly number[], scope: readonly number[]): Promise<MemberRow[]> {
  if (!scope.length) return [];
  return db
    .select()
    .from(members)
    .where(and(sql`${members.id} = ANY(${intArray(ids)})`, sql`${members.churchId} = ANY(${intArray(scope)})`));
}

/** Household.members: non-archived, heads and spouses first; at most `cap` per household. */
export async function membersByHousehold(
  db: Queryable,
  householdIds: readonly number[],
  cap: number,
  scope: readonly number[],
): Promise<Map<number, MemberRow[]>> {
  if (!scope.length) return new Map();
  // household_id = ANY(…): never null here
  const rows = await db.execute<MemberRawRow & { household_id: number }>(sql`
    SELECT ${COLUMNS} FROM (
      SELECT m.*, row_number() OVER (
        PARTITION BY m.household_id
        ORDER BY array_position(ARRAY['head','spouse','child','other']::household_role[], m.household_role) NULLS LAST,
                 m.birth_date NULLS LAST, m.id) AS rn
      FROM members m
      WHERE m.household_id = ANY(${intArray(householdIds)}) AND m.archived_at IS NULL
        AND m.church_id = ANY(${intArray(scope)})
    ) m WHERE m.rn <= ${cap}
    ORDER BY m.household_id, m.rn`);
  return groupRows(rows, (r) => r.household_id);
}

export function groupRows<R extends MemberRawRow>(rows: Iterable<R>, keyOf: (r: R) => number): Map<number, MemberRow[]> {
  const out = new Map<number, MemberRow[]>();
  for (const r of rows) {
    const k = keyOf(r);
    const list = out.get(k);
    const m = memberFromRaw(r);
    if (list) list.push(m);
    else out.set(k, [m]);
  }
  return out;
}

export async function insertMembers(db: Queryable, rows: NewMemberRow[]): Promise<MemberRow[]> {
  if (!rows.length) return [];
  return db.insert(members).values(rows).returning();
}

export async function updateMember(
  db: Queryable,
  churchId: number,
  id: number,
  patch: Partial<NewMemberRow>,
): Promise<MemberRow | undefined> {
  const [row] = await db
    .update(members)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(and(eq(members.id, id), eq(members.churchId, churchId)))
    .returning();
  return row;
}

export async function setArchived(
  db: Queryable,
  churchId: number,
  id: number,
  archived: boolean,
): Promise<MemberRow | undefined> {
  const [row] = await db
    .update(members)
    .set({ archivedAt: archived ? sql`coalesce(archived_at, now())` : null, updatedAt: sql`now()` })
    .where(and(eq(members.id, id), eq(members.churchId, churchId)))
    .returning();
  return row;
}
