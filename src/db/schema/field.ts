import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { churches, timestamps } from './church.js';
import { customFieldType } from './enums.js';
import { members } from './member.js';

/** A church's own field on its people (baptism date, T-shirt size…): archived, never deleted. */
export const customFields = pgTable(
  'custom_fields',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    description: text(),
    type: customFieldType().notNull(),
    required: boolean().notNull().default(false),
    /** order on a person's page (ascending; ties by id) */
    position: integer().notNull().default(0),
    /** the choices of a single or multiple choice field, in display order */
    choices: text().array().notNull().default(sql`'{}'::text[]`),
    archivedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    // target of the (church_id, field_id) foreign key from the values: a value's field is of the member's church
    unique('custom_fields_church_id_id_key').on(t.churchId, t.id),
    // a name is one field of the church (archived ones included: unarchiving must not collide)
    uniqueIndex('custom_fields_church_name_key').on(t.churchId, sql`lower(${t.name})`),
    // Church.customFields in display order
    index('custom_fields_church_position_idx').on(t.churchId, t.position, t.id),
  ],
);

/**
 * One member's value of one field, in the column of its type (single choice in value_text,
 * multiple choice in value_choices); no row means no value. A typed table rather than a JSONB
 * column on members: one set of indexes serves every church's fields (filters and keyset sorts
 * by any field), where JSONB would need an expression index per field for ranges and sorting
 * (README "Custom fields" has the measurements).
 */
export const memberFieldValues = pgTable(
  'member_field_values',
  {
    churchId: integer().notNull(),
    memberId: integer().notNull(),
    fieldId: integer().notNull(),
    valueText: text(),
    valueNumber: numeric(),
    valueDate: date({ mode: 'string' }),
    valueBool: boolean(),
    valueChoices: text().array(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // a member's values (Member.customFields) and the one value per member and field
    primaryKey({ name: 'member_field_values_pkey', columns: [t.memberId, t.fieldId] }),
    foreignKey({
      name: 'member_field_values_member_fk',
      columns: [t.churchId, t.memberId],
      foreignColumns: [members.churchId, members.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'member_field_values_field_fk',
      columns: [t.churchId, t.fieldId],
      foreignColumns: [customFields.churchId, customFields.id],
    }).onDelete('cascade'),
    // filter and keyset sort of the directory by a field, one index per value type: the field
    // picks the church, so (field, value, member) serves any church's field
    index('member_field_values_text_idx').on(t.fieldId, sql`lower(${t.valueText})`, t.memberId).where(sql`value_text IS NOT NULL`),
    index('member_field_values_number_idx').on(t.fieldId, t.valueNumber, t.memberId).where(sql`value_number IS NOT NULL`),
    index('member_field_values_date_idx').on(t.fieldId, t.valueDate, t.memberId).where(sql`value_date IS NOT NULL`),
    index('member_field_values_bool_idx').on(t.fieldId, t.valueBool, t.memberId).where(sql`value_bool IS NOT NULL`),
    // multiple choice: has any / all / none of these choices (array operators; field_id through btree_gin)
    index('member_field_values_choices_idx').using('gin', t.fieldId, t.valueChoices).where(sql`value_choices IS NOT NULL`),
    check(
      'member_field_values_one_value',
      sql`num_nonnulls(${t.valueText}, ${t.valueNumber}, ${t.valueDate}, ${t.valueBool}, ${t.valueChoices}) = 1`,
    ),
  ],
);
