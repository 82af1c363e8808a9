import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { customFields, memberFieldValues, type CustomFieldType } from '../../db/schema/index.js';
import { intArray } from '../../db/sql.js';

export type FieldRow = typeof customFields.$inferSelect;
export type NewFieldRow = typeof customFields.$inferInsert;
export type ValueRow = typeof memberFieldValues.$inferSelect;

/** Most fields (archived included) a church may have: Church.customFields is one unpaged list. */
export const FIELDS_CAP = 100;

/** The value column of each type (single choice is text; multiple choice a text array). */
export type ValueColumn = 'value_text' | 'value_number' | 'value_date' | 'value_bool' | 'value_choices';
export const COLUMN_OF: Record<CustomFieldType, ValueColumn> = {
  text: 'value_text',
  single_choice: 'value_text',
  number: 'value_number',
  date: 'value_date',
  yes_no: 'value_bool',
  multiple_choice: 'value_choices',
};

/** A value as stored: exactly one of these (the column of its field's type). */
export interface StoredValue {
  text?: string;
  number?: string;
  date?: string;
  bool?: boolean;
  choices?: string[];
}

/**
 * A condition on one field, as the directory filter and the smart-list rules resolve it: plain
 * data (it is part of a loader key), compiled to SQL by fieldConditionSql.
 */
export type FieldCondition = { fieldId: number; type: CustomFieldType } & (
  | { op: 'IS_SET' | 'IS_NOT_SET' }
  | { op: 'EQ'; value: string | boolean }
  | { op: 'IN' | 'HAS_ANY' | 'HAS_ALL' | 'HAS_NONE'; values: string[] }
  | { op: 'BETWEEN'; min: string | null; max: string | null }
);

function castOf(type: CustomFieldType): SQL {
  return type === 'number' ? sql.raw('::numeric') : type === 'date' ? sql.raw('::date') : sql.raw('');
}

/**
 * A field condition on the member `m` of the enclosing statement: an EXISTS over the field's
 * values, served by the (field_id, value, member_id) index of the value's type (or the GIN index
 * for multiple choice). Text and choices compare case-insensitively.
 */
export function fieldConditionSql(c: FieldCondition): SQL {
  const col = sql.raw(`v.${COLUMN_OF[c.type]}`);
  const of = (cond: SQL) => sql`EXISTS (SELECT 1 FROM member_field_values v WHERE v.field_id = ${c.fieldId} AND v.member_id = m.id AND ${cond})`;
  const text = c.type === 'text' || c.type === 'single_choice';
  switch (c.op) {
    case 'IS_SET':
      return of(sql`TRUE`);
    case 'IS_NOT_SET':
      return sql`NOT ${of(sql`TRUE`)}`;
    case 'EQ':
      if (c.type === 'yes_no') return of(sql`v.value_bool = ${c.value === true}`);
      if (text) return of(sql`lower(v.value_text) = lower(${String(c.value)})`);
      return of(sql`${col} = ${String(c.value)}${castOf(c.type)}`);
    case 'IN':
      return of(sql`lower(v.value_text) = ANY(${textArray(c.values.map((x) => x.toLowerCase()))})`);
    case 'BETWEEN': {
      const parts: SQL[] = [sql`${col} IS NOT NULL`];
      if (c.min !== null) parts.push(sql`${col} >= ${c.min}${castOf(c.type)}`);
      if (c.max !== null) parts.push(sql`${col} <= ${c.max}${castOf(c.type)}`);
      return of(sql.join(parts, sql` AND `));
    }
    case 'HAS_ANY':
      return of(sql`v.value_choices && ${textArray(c.values)}`);
    case 'HAS_ALL':
      return of(sql`v.value_choices @> ${textArray(c.values)}`);
    case 'HAS_NONE':
      return sql`NOT ${of(sql`v.value_choices && ${textArray(c.values)}`)}`;
  }
}

/** A text list as ONE parameter (a JSON array: commas and quotes inside values are safe). */
export function textArray(values: readonly string[]): SQL {
  return sql`ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}

export async function fieldsByIds(db: Queryable, ids: readonly number[], scope: readonly number[]): Promise<FieldRow[]> {
  if (!scope.length || !ids.length) return [];
  return db
    .select()
    .from(customFields)
    .where(and(sql`${customFields.id} = ANY(${intArray(ids)})`, sql`${customFields.churchId} = ANY(${intArray(scope)})`));
}

/** Each church's fields in display order, archived ones included (custom_fields_church_position_idx). */
export async function fieldsByChurch(db: Queryable, churchIds: readonly number[]): Promise<Map<number, FieldRow[]>> {
  const out = new Map<number, FieldRow[]>();
  if (!churchIds.length) return out;
  const rows = await db
    .select()
    .from(customFields)
    .where(sql`${customFields.churchId} = ANY(${intArray(churchIds)})`)
    .orderBy(customFields.churchId, customFields.position, customFields.id);
  for (const r of rows) {
    const list = out.get(r.churchId);
    if (list) list.push(r);
    else out.set(r.churchId, [r]);
  }
  return out;
}

export async function countFields(db: Queryable, churchId: number): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM custom_fields WHERE church_id = ${churchId}`);
  return r?.n ?? 0;
}

export async function insertField(db: Queryable, row: NewFieldRow): Promise<FieldRow> {
  const [r] = await db.insert(customFields).values(row).returning();
  return r!;
}

export async function updateField(db: Queryable, churchId: number, id: number, patch: Partial<NewFieldRow>): Promise<FieldRow | undefined> {
  const [r] = await db
    .update(customFields)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(and(eq(customFields.id, id), eq(customFields.churchId, churchId)))
    .returning();
  return r;
}

/** Values of these members (only in the churches of `scope`), by member. */
export async function valuesByMember(db: Queryable, memberIds: readonly number[], scope: readonly number[]): Promise<Map<number, ValueRow[]>> {
  const out = new Map<number, ValueRow[]>();
  if (!scope.length || !memberIds.length) return out;
  const rows = await db
    .select()
    .from(memberFieldValues)
    .where(and(sql`${memberFieldValues.memberId} = ANY(${intArray(memberIds)})`, sql`${memberFieldValues.churchId} = ANY(${intArray(scope)})`));
  for (const r of rows) {
    const list = out.get(r.memberId);
    if (list) list.push(r);
    else out.set(r.memberId, [r]);
  }
  return out;
}

export interface ValueWrite {
  fieldId: number;
  /** null clears the value */
  value: StoredValue | null;
}

/** Sets and clears values of members of one church (upserts on the primary key). */
export async function writeValues(db: Queryable, churchId: number, memberIds: readonly number[], writes: readonly ValueWrite[]): Promise<void> {
  const clear = writes.filter((w) => w.value === null).map((w) => w.fieldId);
  if (clear.length && memberIds.length) {
    await db.execute(sql`
      DELETE FROM member_field_values
      WHERE church_id = ${churchId} AND member_id = ANY(${intArray(memberIds)}) AND field_id = ANY(${intArray(clear)})`);
  }
  const set = writes.filter((w): w is ValueWrite & { value: StoredValue } => w.value !== null);
  if (!set.length || !memberIds.length) return;
  const rows = memberIds.flatMap((memberId) =>
    set.map((w) => ({
      churchId,
      memberId,
      fieldId: w.fieldId,
      valueText: w.value.text ?? null,
      valueNumber: w.value.number ?? null,
      valueDate: w.value.date ?? null,
      valueBool: w.value.bool ?? null,
      valueChoices: w.value.choices ?? null,
    })),
  );
  await db
    .insert(memberFieldValues)
    .values(rows)
    .onConflictDoUpdate({
      target: [memberFieldValues.memberId, memberFieldValues.fieldId],
      set: {
        valueText: sql`excluded.value_text`,
        valueNumber: sql`excluded.value_number`,
        valueDate: sql`excluded.value_date`,
        valueBool: sql`excluded.value_bool`,
        valueChoices: sql`excluded.value_choices`,
        updatedAt: sql`now()`,
      },
    });
}

/** Non-archived members of the field's church without a value for it (members_directory_idx, then the value's primary key). */
export async function countMissing(db: Queryable, churchId: number, fieldId: number): Promise<number> {
  const [r] = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM members m
    WHERE m.church_id = ${churchId} AND m.archived_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM member_field_values v WHERE v.member_id = m.id AND v.field_id = ${fieldId})`);
  return r?.n ?? 0;
}

/** How many members hold each of these choices (a choice still in use cannot be removed). */
export async function choicesInUse(db: Queryable, field: FieldRow, choices: readonly string[]): Promise<Map<string, number>> {
  if (!choices.length) return new Map();
  const rows =
    field.type === 'multiple_choice'
      ? await db.execute<{ c: string; n: number }>(sql`
          SELECT c, count(*)::int AS n FROM member_field_values v, unnest(v.value_choices) c
          WHERE v.field_id = ${field.id} AND v.value_choices && ${textArray(choices)} AND c = ANY(${textArray(choices)}) GROUP BY c`)
      : await db.execute<{ c: string; n: number }>(sql`
          SELECT v.value_text AS c, count(*)::int AS n FROM member_field_values v
          WHERE v.field_id = ${field.id} AND lower(v.value_text) = ANY(${textArray(choices.map((c) => c.toLowerCase()))}) GROUP BY v.value_text`);
  return new Map(rows.map((r) => [r.c, r.n]));
}

/** Renames a choice in every stored value of the field (a rename keeps people's answers). */
export async function renameChoice(db: Queryable, field: FieldRow, from: string, to: string): Promise<void> {
  if (field.type === 'multiple_choice') {
    await db.execute(sql`
      UPDATE member_field_values SET value_choices = array_replace(value_choices, ${from}, ${to}), updated_at = now()
      WHERE field_id = ${field.id} AND value_choices && ${textArray([from])}`);
  } else {
    await db.execute(sql`
      UPDATE member_field_values SET value_text = ${to}, updated_at = now()
      WHERE field_id = ${field.id} AND lower(value_text) = lower(${from})`);
  }
}
