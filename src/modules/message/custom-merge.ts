/**
 * The church's custom fields (src/modules/field) as merge fields: `{field.<key>}`, where the key is
 * the field's name in lower case with `_` between words ("Baptism date" → `{field.baptism_date}`),
 * or `{field.<id>}` (always unambiguous). Fields are keyed by name in the church (unique,
 * case-insensitive), so the key is derived from it rather than stored: a rename changes the key.
 *
 * Checked where a body is accepted (send, preview, template save) against the church's fields:
 * unknown, archived or ambiguous keys are BAD_USER_INPUT naming the field and position. Values are
 * read in bulk (one statement per VALUES_CHUNK members, only the fields named) and formatted as a
 * church writes them: dates "March 3, 2024", yes/no "Yes"/"No", several choices "A, B, C"; no
 * value → "".
 */
import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { CustomFieldType } from '../../db/schema/index.js';
import { intArray } from '../../db/sql.js';
import { BadInputError } from '../../lib/errors.js';
import { fieldsByChurch, type FieldRow } from '../field/field.queries.js';
import type { CustomFieldRef, ParsedTemplate } from './merge-fields.js';

/** members per statement when reading values (10,000 recipients: 5 statements) */
export const VALUES_CHUNK = 2000;

/** "Baptism date" → baptism_date; "T-shirt size" → t_shirt_size; "Año de llegada" → ano_de_llegada */
export function fieldKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The custom fields a template names, resolved: key as written → field. */
export type ResolvedFields = Map<string, FieldRow>;

/**
 * Resolves the `{field.…}` of one or more templates against the church's fields (archived ones
 * included, to say so); the first problem is thrown as BAD_USER_INPUT on `field`.
 */
export function resolveCustomFields(refs: readonly CustomFieldRef[], fields: readonly FieldRow[], field: string): ResolvedFields {
  const out: ResolvedFields = new Map();
  for (const ref of refs) {
    const written = `{field.${ref.key}}`;
    const byId = /^\d+$/.test(ref.key) ? fields.filter((f) => String(f.id) === ref.key) : [];
    const matches = byId.length ? byId : fields.filter((f) => fieldKey(f.name) === ref.key);
    const live = matches.filter((f) => !f.archivedAt);
    if (live.length > 1) {
      throw new BadInputError({
        field,
        message: `the merge field "${written}" at position ${ref.position} matches ${live.length} fields (${live.map((f) => `"${f.name}"`).join(', ')}); write ${live.map((f) => `{field.${f.id}}`).join(' or ')}`,
      });
    }
    if (live.length === 1) {
      out.set(ref.key, live[0]!);
      continue;
    }
    if (matches.length) {
      throw new BadInputError({ field, message: `the merge field "${written}" at position ${ref.position} is the archived field "${matches[0]!.name}"; restore it or remove the field` });
    }
    const known = fields.filter((f) => !f.archivedAt).map((f) => `{field.${fieldKey(f.name)}}`);
    throw new BadInputError({
      field,
      message: `unknown merge field "${written}" at position ${ref.position}; the church's fields: ${known.length ? known.join(', ') : 'none'}`,
    });
  }
  return out;
}

/** The templates' custom fields checked against the church's (one read of its fields, none if no template names one). */
export async function checkCustomFields(db: Queryable, churchId: number, templates: ReadonlyArray<{ parsed: ParsedTemplate; field: string }>): Promise<ResolvedFields> {
  const out: ResolvedFields = new Map();
  if (!templates.some((t) => t.parsed.custom.length)) return out;
  const fields = (await fieldsByChurch(db, [churchId])).get(churchId) ?? [];
  for (const t of templates) for (const [k, f] of resolveCustomFields(t.parsed.custom, fields, t.field)) out.set(k, f);
  return out;
}

/** One stored value (the column of its field's type). */
export interface RawValue {
  text: string | null;
  number: string | null;
  date: string | null;
  bool: boolean | null;
  choices: string[] | null;
}

const DATE = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });

/** A value as a church writes it in a letter. */
export function formatFieldValue(type: CustomFieldType, v: RawValue | undefined): string {
  if (!v) return '';
  switch (type) {
    case 'date': {
      if (!v.date) return '';
      const d = new Date(`${v.date}T00:00:00Z`);
      return Number.isNaN(d.getTime()) ? v.date : DATE.format(d);
    }
    case 'yes_no':
      return v.bool === null ? '' : v.bool ? 'Yes' : 'No';
    case 'multiple_choice':
      return (v.choices ?? []).join(', ');
    case 'number': {
      if (v.number === null) return '';
      // numeric keeps trailing zeros of the input ("12.50"): shown as written, without them
      return /\./.test(v.number) ? v.number.replace(/0+$/, '').replace(/\.$/, '') : v.number;
    }
    default:
      return v.text ?? '';
  }
}

/**
 * The formatted values of these members for the resolved fields: member → (key → value). One
 * statement per VALUES_CHUNK members, only the fields named; a member without a value gets "".
 */
export async function customValues(db: Queryable, churchId: number, memberIds: readonly number[], fields: ResolvedFields): Promise<Map<number, Map<string, string>>> {
  const out = new Map<number, Map<string, string>>();
  if (!fields.size || !memberIds.length) return out;
  const byField = new Map<number, { keys: string[]; type: CustomFieldType }>();
  for (const [key, f] of fields) {
    const e = byField.get(f.id);
    if (e) e.keys.push(key);
    else byField.set(f.id, { keys: [key], type: f.type });
  }
  const fieldIds = [...byField.keys()];
  for (let i = 0; i < memberIds.length; i += VALUES_CHUNK) {
    const chunk = memberIds.slice(i, i + VALUES_CHUNK);
    // the primary key (member_id, field_id) serves it
    const rows = await db.execute<{ member_id: number; field_id: number; value_text: string | null; value_number: string | null; value_date: string | null; value_bool: boolean | null; value_choices: string[] | null }>(sql`
      SELECT member_id, field_id, value_text, value_number::text AS value_number, value_date::text AS value_date, value_bool, to_jsonb(value_choices) AS value_choices
      FROM member_field_values
      WHERE church_id = ${churchId} AND member_id = ANY(${intArray(chunk)}) AND field_id = ANY(${intArray(fieldIds)})`);
    for (const r of rows) {
      const f = byField.get(r.field_id);
      if (!f) continue;
      let m = out.get(r.member_id);
      if (!m) out.set(r.member_id, (m = new Map()));
      const value = formatFieldValue(f.type, { text: r.value_text, number: r.value_number, date: r.value_date, bool: r.value_bool, choices: r.value_choices });
      for (const k of f.keys) m.set(k, value);
    }
  }
  return out;
}

/**
 * The worker's side (email): the values a claim carries, as [field id, name, type, value columns…]
 * rows, keyed by both the field's key and its id (the template may use either).
 */
export type CustomValueTuple = [number, string, CustomFieldType, string | null, string | null, string | null, boolean | null, string[] | null];

export function customValuesOfClaim(rows: readonly CustomValueTuple[] | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, name, type, text, number, date, bool, choices] of rows ?? []) {
    const value = formatFieldValue(type, { text, number, date, bool, choices });
    out.set(String(id), value);
    const key = fieldKey(name);
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}
