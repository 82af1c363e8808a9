import type { Scope } from '../scope.js';
import { CustomFieldType } from '../../db/schema/enums.js';
import { PG, pgError } from '../../db/errors.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import { invalidatePeople } from '../../cache/invalidate.js';
import { actorOf, audit, changesOf } from '../audit/audit.service.js';
import * as q from './field.queries.js';
import type { FieldRow, StoredValue, ValueRow, ValueWrite } from './field.queries.js';

export const FIELD_LIMITS = { name: 80, description: 500, choices: 50, choice: 80, text: 1000, numberAbs: 1e15 } as const;

const CHOICE_TYPES: readonly CustomFieldType[] = [CustomFieldType.SINGLE_CHOICE, CustomFieldType.MULTIPLE_CHOICE];

/** A custom field's definition as the API takes it (create; update takes the same but type). */
export interface FieldInput {
  churchId?: string;
  name?: string;
  description?: string | null;
  type?: CustomFieldType;
  required?: boolean | null;
  position?: number | null;
  choices?: string[] | null;
  renameChoices?: Array<{ from: string; to: string }> | null;
}

/** A member's value of one field as the API takes it: the slot of the field's type, or none to clear it. */
export interface FieldValueInput {
  fieldId: string;
  text?: string | null;
  number?: number | null;
  date?: string | null;
  yesNo?: boolean | null;
  choice?: string | null;
  choices?: string[] | null;
}

/** Which input slot each type reads. */
const SLOT_OF: Record<CustomFieldType, keyof Omit<FieldValueInput, 'fieldId'>> = {
  text: 'text',
  number: 'number',
  date: 'date',
  yes_no: 'yesNo',
  single_choice: 'choice',
  multiple_choice: 'choices',
};
const SLOTS = ['text', 'number', 'date', 'yesNo', 'choice', 'choices'] as const;

export async function getField({ scope, id, field = 'id' }: { scope: Scope; id: string | number; field?: string }): Promise<FieldRow> {
  requireViewer(scope.auth);
  const fieldId = parseId(id, 'CustomField', field);
  const f = await scope.loaders.customField.load(fieldId);
  if (!f) throw new NotFoundError('CustomField', fieldId, field);
  return f;
}

/** A church's fields in display order (archived ones only when asked for). */
export async function listFields({ scope, churchId, includeArchived }: { scope: Scope; churchId: number; includeArchived: boolean }) {
  requireChurchRole(scope.auth, churchId, 'viewer');
  const all = await scope.loaders.churchFields.load(churchId);
  return includeArchived ? all : all.filter((f) => !f.archivedAt);
}

function cleanChoices(p: Problems, field: string, choices: readonly string[]): string[] {
  if (choices.length > FIELD_LIMITS.choices) p.add(field, `accepts at most ${FIELD_LIMITS.choices} choices`);
  const out: string[] = [];
  const seen = new Set<string>();
  choices.slice(0, FIELD_LIMITS.choices).forEach((c, i) => {
    const t = v.text(p, `${field}[${i}]`, c, { max: FIELD_LIMITS.choice, required: true });
    if (!t) return;
    if (seen.has(t.toLowerCase())) p.add(`${field}[${i}]`, `repeats the choice "${t}"`);
    seen.add(t.toLowerCase());
    out.push(t);
  });
  return out;
}

function uniqueName(e: unknown, name: string): never {
  if (pgError(e)?.code === PG.uniqueViolation && pgError(e)?.constraint === 'custom_fields_church_name_key') {
    throw new BadInputError({ field: 'input.name', message: `this church already has a field named "${name}" (archived fields included)` });
  }
  throw e;
}

/** A field definition's columns an audit entry compares. */
const FIELD_AUDIT = ['name', 'description', 'type', 'required', 'position', 'choices', 'archivedAt'] as const;

export async function createField({ scope, input }: { scope: Scope; input: FieldInput & { churchId: string; name: string; type: CustomFieldType } }): Promise<FieldRow> {
  const church = await getChurch({ scope, id: input.churchId, field: 'input.churchId' });
  requireChurchRole(scope.auth, church.id, 'admin', 'input.churchId');
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: FIELD_LIMITS.name, required: true });
  const description = v.text(p, 'input.description', input.description, { max: FIELD_LIMITS.description });
  const choiceType = CHOICE_TYPES.includes(input.type);
  let choices: string[] = [];
  if (choiceType) {
    choices = cleanChoices(p, 'input.choices', input.choices ?? []);
    if (!input.choices?.length) p.add('input.choices', 'a choice field needs at least one choice');
  } else if (input.choices?.length) p.add('input.choices', `a ${input.type.toUpperCase()} field has no choices`);
  if (input.renameChoices?.length) p.add('input.renameChoices', 'only applies to an update');
  if (input.position != null && (!Number.isInteger(input.position) || input.position < 0 || input.position > 10_000)) p.add('input.position', 'must be 0-10000');
  p.throwIfAny();
  const count = await q.countFields(scope.db, church.id);
  if (count >= q.FIELDS_CAP) throw new BadInputError({ field: 'input.churchId', message: `a church can have at most ${q.FIELDS_CAP} custom fields (archived ones included)` });
  const row = await scope.db.transaction(async (tx) => {
    const r = await q
      .insertField(tx, {
        churchId: church.id,
        name: name!,
        description: description ?? null,
        type: input.type,
        required: input.required ?? false,
        // appended after the existing ones unless placed
        position: input.position ?? (count + 1) * 10,
        choices,
      })
      .catch((e: unknown) => uniqueName(e, name!));
    await audit(tx, actorOf(scope.auth), [{ churchId: church.id, entity: 'CustomField', entityId: r.id, action: 'create', changes: changesOf(null, r, FIELD_AUDIT) }]);
    return r;
  });
  scope.loaders.churchFields.clear(church.id);
  await invalidatePeople(scope.cache, church.id);
  return row;
}

/**
 * Updates a definition. The type never changes (values would not convert). Choices are the new
 * full list: renameChoices first renames in every stored answer; a removed choice someone still
 * has is refused (how many have it is in the message). Making a field required does not touch
 * existing people: it is enforced on create, and a required value can no longer be cleared;
 * CustomField.missingCount tells how many still lack it.
 */
export async function updateField({ scope, id, input }: { scope: Scope; id: string; input: FieldInput }): Promise<FieldRow> {
  const current = await getField({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'admin', 'id');
  const p = new Problems();
  const name = input.name === undefined ? undefined : v.text(p, 'input.name', input.name, { max: FIELD_LIMITS.name, required: true });
  const description = v.text(p, 'input.description', input.description, { max: FIELD_LIMITS.description });
  if (input.required === null) p.add('input.required', 'cannot be null');
  if (input.position !== undefined && input.position !== null && (!Number.isInteger(input.position) || input.position < 0 || input.position > 10_000)) {
    p.add('input.position', 'must be 0-10000');
  }
  const choiceType = CHOICE_TYPES.includes(current.type);
  let choices: string[] | undefined;
  const renames: Array<{ from: string; to: string }> = [];
  if (!choiceType && (input.choices?.length || input.renameChoices?.length)) p.add('input.choices', `a ${current.type.toUpperCase()} field has no choices`);
  if (choiceType) {
    let list = [...current.choices];
    (input.renameChoices ?? []).slice(0, FIELD_LIMITS.choices).forEach((r, i) => {
      const to = v.text(p, `input.renameChoices[${i}].to`, r.to, { max: FIELD_LIMITS.choice, required: true });
      const at = list.findIndex((c) => c.toLowerCase() === r.from.trim().toLowerCase());
      if (at < 0) p.add(`input.renameChoices[${i}].from`, `is not a choice of this field`);
      else if (to) {
        renames.push({ from: list[at]!, to });
        list[at] = to;
      }
    });
    if ((input.renameChoices?.length ?? 0) > FIELD_LIMITS.choices) p.add('input.renameChoices', `accepts at most ${FIELD_LIMITS.choices}`);
    if (input.choices === null) p.add('input.choices', 'cannot be null');
    if (input.choices) {
      if (!input.choices.length) p.add('input.choices', 'a choice field needs at least one choice');
      list = cleanChoices(p, 'input.choices', input.choices);
    } else if (renames.length) list = cleanChoices(p, 'input.renameChoices', list);
    choices = input.choices || renames.length ? list : undefined;
  }
  p.throwIfAny();
  const out = await scope.db.transaction(async (tx) => {
    for (const r of renames) await q.renameChoice(tx, current, r.from, r.to);
    if (choices) {
      const kept = new Set(choices.map((c) => c.toLowerCase()));
      const afterRename = current.choices.map((c) => renames.find((r) => r.from === c)?.to ?? c);
      const removed = afterRename.filter((c) => !kept.has(c.toLowerCase()));
      const used = await q.choicesInUse(tx, current, removed);
      if (used.size) {
        const [c, n] = [...used][0]!;
        throw new BadInputError({ field: 'input.choices', message: `drops "${c}", which ${n} ${n === 1 ? 'person has' : 'people have'}: change their answers or rename the choice first` });
      }
    }
    const patch: Partial<q.NewFieldRow> = {};
    if (name) patch.name = name;
    if (description !== undefined) patch.description = description;
    if (input.required != null) patch.required = input.required;
    if (input.position != null) patch.position = input.position;
    if (choices) patch.choices = choices;
    const row = await q.updateField(tx, current.churchId, current.id, patch).catch((e: unknown) => uniqueName(e, name ?? current.name));
    if (!row) throw new NotFoundError('CustomField', current.id);
    // choice renames rewrite people's answers: the entry names them (the answers are not listed one by one)
    const changes = { ...changesOf(current, row, FIELD_AUDIT), ...(renames.length ? { renamedChoices: [null, renames] as [unknown, unknown] } : {}) };
    await audit(tx, actorOf(scope.auth), [{ churchId: row.churchId, entity: 'CustomField', entityId: row.id, action: 'update', changes }]);
    return row;
  });
  scope.loaders.customField.clear(out.id).prime(out.id, out);
  scope.loaders.churchFields.clear(out.churchId);
  await invalidatePeople(scope.cache, out.churchId, [['CustomField', out.id]]);
  return out;
}

/** Archived fields leave Member.customFields and forms; their values are kept (restore brings them back). */
export async function setFieldArchived({ scope, id, archived }: { scope: Scope; id: string; archived: boolean }): Promise<FieldRow> {
  const current = await getField({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'admin', 'id');
  const row = await scope.db.transaction(async (tx) => {
    const r = await q.updateField(tx, current.churchId, current.id, { archivedAt: archived ? (current.archivedAt ?? scope.clock.now()) : null });
    // archiving an archived field (or restoring a live one) changed nothing: no entry
    const changes = r ? changesOf(current, r, ['archivedAt']) : {};
    if (r && Object.keys(changes).length) await audit(tx, actorOf(scope.auth), [{ churchId: r.churchId, entity: 'CustomField', entityId: r.id, action: archived ? 'archive' : 'restore', changes }]);
    return r;
  });
  if (!row) throw new NotFoundError('CustomField', current.id);
  scope.loaders.customField.clear(row.id).prime(row.id, row);
  scope.loaders.churchFields.clear(row.churchId);
  await invalidatePeople(scope.cache, row.churchId, [['CustomField', row.id]]);
  return row;
}

export async function missingCount({ scope, field }: { scope: Scope; field: FieldRow }): Promise<number> {
  requireChurchRole(scope.auth, field.churchId, 'viewer', 'missingCount');
  return q.countMissing(scope.db, field.churchId, field.id);
}

/** One value checked against its field's type and choices; null when no slot is given (clears it). */
function parseValue(p: Problems, path: string, f: FieldRow, input: FieldValueInput): StoredValue | null | undefined {
  const slot = SLOT_OF[f.type];
  for (const s of SLOTS) {
    if (s !== slot && input[s] !== undefined && input[s] !== null) p.add(`${path}.${s}`, `"${f.name}" is a ${f.type.toUpperCase()} field: give ${slot}`);
  }
  const raw = input[slot];
  if (raw === undefined || raw === null) return null;
  const before = p.list.length;
  switch (f.type) {
    case 'text': {
      const t = v.text(p, `${path}.text`, raw as string, { max: FIELD_LIMITS.text });
      return t ? { text: t } : p.list.length > before ? undefined : null;
    }
    case 'number': {
      const n = raw as number;
      if (typeof n !== 'number' || !Number.isFinite(n) || Math.abs(n) >= FIELD_LIMITS.numberAbs) {
        p.add(`${path}.number`, `must be a finite number below ${FIELD_LIMITS.numberAbs} in size`);
        return undefined;
      }
      return { number: String(n) };
    }
    case 'date': {
      const d = v.isoDate(p, `${path}.date`, raw as string);
      return d ? { date: d } : undefined;
    }
    case 'yes_no':
      return { bool: raw as boolean };
    case 'single_choice': {
      const c = String(raw).trim();
      const match = f.choices.find((x) => x.toLowerCase() === c.toLowerCase());
      if (!match) {
        p.add(`${path}.choice`, `must be one of: ${f.choices.join(', ')}`);
        return undefined;
      }
      return { text: match };
    }
    case 'multiple_choice': {
      const list = raw as string[];
      if (list.length > FIELD_LIMITS.choices) {
        p.add(`${path}.choices`, `accepts at most ${FIELD_LIMITS.choices}`);
        return undefined;
      }
      const picked = new Set<string>();
      list.forEach((c, i) => {
        const match = f.choices.find((x) => x.toLowerCase() === String(c).trim().toLowerCase());
        if (!match) p.add(`${path}.choices[${i}]`, `must be one of: ${f.choices.join(', ')}`);
        else picked.add(match);
      });
      if (p.list.length > before) return undefined;
      // stored in the field's order, so equal answers are equal arrays
      return picked.size ? { choices: f.choices.filter((c) => picked.has(c)) } : null;
    }
  }
}

const YES = new Set(['yes', 'y', 'true', '1']);
const NO = new Set(['no', 'n', 'false', '0']);

/**
 * One spreadsheet cell as a value of a field (the CSV import): the text read as the field's type,
 * then checked as the API checks it. A blank cell is null (no value); a number may have thousands
 * separators ("1,250.5"); yes/no is yes, no, y, n, true, false, 1 or 0; multiple choices are
 * separated by ";" (as the export writes them). Problems are recorded under `path`.
 */
export function valueFromCell(p: Problems, path: string, f: FieldRow, raw: string): StoredValue | null | undefined {
  const t = raw.trim();
  if (t === '') return null;
  const input: FieldValueInput = { fieldId: String(f.id) };
  switch (f.type) {
    case 'number': {
      const n = /^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$/.test(t) ? Number(t.replace(/,/g, '')) : NaN;
      if (!Number.isFinite(n)) {
        p.add(path, 'must be a number');
        return undefined;
      }
      input.number = n;
      break;
    }
    case 'yes_no': {
      const k = t.toLowerCase();
      if (!YES.has(k) && !NO.has(k)) {
        p.add(path, 'must be yes or no');
        return undefined;
      }
      input.yesNo = YES.has(k);
      break;
    }
    case 'multiple_choice':
      input.choices = t.split(';').map((c) => c.trim()).filter(Boolean);
      break;
    case 'single_choice':
      input.choice = t;
      break;
    case 'date':
      input.date = t;
      break;
    case 'text':
      input.text = raw;
      break;
  }
  // the API's own checks, with the problems under this cell's path
  const q = new Problems();
  const out = parseValue(q, path, f, input);
  for (const pr of q.list) p.add(path, pr.message);
  return out;
}

/**
 * A member's custom values from createMember / updateMember input, checked against the church's
 * fields: each field once, not archived, the slot of its type, choices among the field's. Required
 * fields must be given on create and cannot be cleared on update (existing people who lack one
 * keep working: see updateField). `existing` are the member's current values (update).
 */
export async function planValues(
  scope: Scope,
  p: Problems,
  churchId: number,
  inputs: readonly FieldValueInput[] | null | undefined,
  opts: { prefix: string; creating: boolean },
): Promise<ValueWrite[]> {
  const fields = await scope.loaders.churchFields.load(churchId);
  const byId = new Map(fields.map((f) => [f.id, f]));
  const list = inputs ?? [];
  const writes: ValueWrite[] = [];
  if (list.length > q.FIELDS_CAP) {
    p.add(opts.prefix, `accepts at most ${q.FIELDS_CAP} values`);
    return [];
  }
  const seen = new Set<number>();
  list.forEach((input, i) => {
    const path = `${opts.prefix}[${i}]`;
    let id: number;
    try {
      id = parseId(input.fieldId, 'CustomField', `${path}.fieldId`);
    } catch {
      p.add(`${path}.fieldId`, 'is not a custom field of this church');
      return;
    }
    const f = byId.get(id);
    if (!f) return p.add(`${path}.fieldId`, 'is not a custom field of this church');
    if (f.archivedAt) return p.add(`${path}.fieldId`, `"${f.name}" is archived`);
    if (seen.has(id)) return p.add(`${path}.fieldId`, `"${f.name}" is given twice`);
    seen.add(id);
    const value = parseValue(p, path, f, input);
    if (value === undefined) return;
    if (value === null && f.required) return p.add(path, `"${f.name}" is required and cannot be cleared`);
    writes.push({ fieldId: id, value });
  });
  if (opts.creating) {
    for (const f of fields) {
      if (f.required && !f.archivedAt && !seen.has(f.id)) p.add(opts.prefix, `"${f.name}" (field ${f.id}) is required`);
    }
  }
  return writes;
}

/** The API's view of one field's value (slots of the other types null). */
export interface FieldValueView {
  field: FieldRow;
  isSet: boolean;
  text: string | null;
  number: number | null;
  date: string | null;
  yesNo: boolean | null;
  choice: string | null;
  choices: string[] | null;
}

/** Member.customFields: every active field of the member's church in order, set or not. */
export async function memberValues({ scope, member }: { scope: Scope; member: { id: number; churchId: number } }): Promise<FieldValueView[]> {
  requireChurchRole(scope.auth, member.churchId, 'viewer', 'customFields');
  const [fields, values] = await Promise.all([scope.loaders.churchFields.load(member.churchId), scope.loaders.memberValues.load(member.id)]);
  const byField = new Map<number, ValueRow>(values.map((x) => [x.fieldId, x]));
  return fields
    .filter((f) => !f.archivedAt)
    .map((f) => {
      const x = byField.get(f.id);
      return {
        field: f,
        isSet: x !== undefined,
        text: f.type === 'text' ? (x?.valueText ?? null) : null,
        number: x?.valueNumber != null ? Number(x.valueNumber) : null,
        date: x?.valueDate ?? null,
        yesNo: x?.valueBool ?? null,
        choice: f.type === 'single_choice' ? (x?.valueText ?? null) : null,
        choices: x?.valueChoices ?? null,
      };
    });
}

/** A directory filter on one field as the API takes it (exactly one condition). */
export interface FieldFilterInput {
  fieldId: string;
  isSet?: boolean | null;
  text?: string | null;
  min?: number | null;
  max?: number | null;
  from?: string | null;
  to?: string | null;
  yesNo?: boolean | null;
  anyOf?: string[] | null;
  allOf?: string[] | null;
}

export const MAX_FIELD_FILTERS = 10;

/** A field of the church by id for a filter, rule or sort (archived ones too: their values are kept). */
export async function fieldOfChurch(scope: Scope, p: Problems, churchId: number, id: unknown, path: string): Promise<FieldRow | undefined> {
  const s = typeof id === 'string' || typeof id === 'number' ? String(id).trim() : '';
  const n = /^\d{1,10}$/.test(s) ? Number(s) : NaN;
  const f = Number.isSafeInteger(n) ? (await scope.loaders.churchFields.load(churchId)).find((x) => x.id === n) : undefined;
  if (!f) p.add(path, 'is not a custom field of this church');
  return f;
}

/** Choices given for a condition, matched to the field's (case-insensitive); unknown ones are problems. */
export function matchChoices(p: Problems, path: string, f: FieldRow, values: unknown): string[] {
  if (!Array.isArray(values) || values.length === 0 || values.length > FIELD_LIMITS.choices) {
    p.add(path, `must be a list of 1-${FIELD_LIMITS.choices} choices`);
    return [];
  }
  return values.flatMap((c, i) => {
    const match = typeof c === 'string' ? f.choices.find((x) => x.toLowerCase() === c.trim().toLowerCase()) : undefined;
    if (!match) {
      p.add(`${path}[${i}]`, `must be one of: ${f.choices.join(', ')}`);
      return [];
    }
    return [match];
  });
}

/** A bound of a number or date range, checked ('' when absent). */
export function rangeBound(p: Problems, path: string, f: FieldRow, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (f.type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) >= FIELD_LIMITS.numberAbs) {
      p.add(path, 'must be a finite number');
      return null;
    }
    return String(value);
  }
  if (typeof value !== 'string') {
    p.add(path, 'must be a date YYYY-MM-DD');
    return null;
  }
  return v.isoDate(p, path, value) ?? null;
}

/** Directory filters on custom fields, resolved to conditions (see fieldConditionSql). */
export async function fieldFilters(scope: Scope, p: Problems, churchId: number, filters: readonly FieldFilterInput[], prefix: string): Promise<q.FieldCondition[]> {
  if (filters.length > MAX_FIELD_FILTERS) {
    p.add(prefix, `accepts at most ${MAX_FIELD_FILTERS} conditions`);
    return [];
  }
  const out: q.FieldCondition[] = [];
  for (const [i, input] of filters.entries()) {
    const c = await fieldFilter(scope, p, churchId, input, `${prefix}[${i}]`);
    if (c) out.push(c);
  }
  return out;
}

/** One condition on a custom field (a directory filter, or a smart-list rule's value), checked against the field's type. */
export async function fieldFilter(scope: Scope, p: Problems, churchId: number, input: FieldFilterInput, path: string): Promise<q.FieldCondition | undefined> {
  const f = await fieldOfChurch(scope, p, churchId, input.fieldId, `${path}.fieldId`);
  if (!f) return undefined;
  const given = (['isSet', 'text', 'min', 'max', 'from', 'to', 'yesNo', 'anyOf', 'allOf'] as const).filter((k) => input[k] !== undefined && input[k] !== null);
  const range = given.every((k) => k === 'min' || k === 'max') || given.every((k) => k === 'from' || k === 'to');
  if (!given.length || (given.length > 1 && !range)) {
    p.add(path, 'needs exactly one condition (min and max, or from and to, go together)');
    return undefined;
  }
  const base = { fieldId: f.id, type: f.type };
  const k = given[0]!;
  const wrongType = (what: string) => {
    p.add(`${path}.${k}`, `does not apply to "${f.name}", a ${f.type.toUpperCase()} field (${what})`);
    return undefined;
  };
  if (k === 'isSet') {
    if (typeof input.isSet !== 'boolean') return void p.add(`${path}.isSet`, 'must be true or false');
    return { ...base, op: input.isSet ? 'IS_SET' : 'IS_NOT_SET' };
  }
  if (k === 'text') {
    if (f.type !== 'text') return wrongType('TEXT only');
    if (typeof input.text !== 'string') return void p.add(`${path}.text`, 'must be text');
    return { ...base, op: 'EQ', value: v.text(p, `${path}.text`, input.text, { max: FIELD_LIMITS.text, required: true }) ?? '' };
  }
  if (k === 'min' || k === 'max') {
    if (f.type !== 'number') return wrongType('NUMBER only');
    return { ...base, op: 'BETWEEN', min: rangeBound(p, `${path}.min`, f, input.min), max: rangeBound(p, `${path}.max`, f, input.max) };
  }
  if (k === 'from' || k === 'to') {
    if (f.type !== 'date') return wrongType('DATE only');
    return { ...base, op: 'BETWEEN', min: rangeBound(p, `${path}.from`, f, input.from), max: rangeBound(p, `${path}.to`, f, input.to) };
  }
  if (k === 'yesNo') {
    if (f.type !== 'yes_no') return wrongType('YES_NO only');
    if (typeof input.yesNo !== 'boolean') return void p.add(`${path}.yesNo`, 'must be true or false');
    return { ...base, op: 'EQ', value: input.yesNo };
  }
  if (k === 'anyOf') {
    if (f.type !== 'single_choice' && f.type !== 'multiple_choice') return wrongType('choice fields only');
    return { ...base, op: f.type === 'single_choice' ? 'IN' : 'HAS_ANY', values: matchChoices(p, `${path}.anyOf`, f, input.anyOf) };
  }
  if (f.type !== 'multiple_choice') return wrongType('MULTIPLE_CHOICE only');
  return { ...base, op: 'HAS_ALL', values: matchChoices(p, `${path}.allOf`, f, input.allOf) };
}
