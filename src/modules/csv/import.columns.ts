import { BadInputError, Problems } from '../../lib/errors.js';
import type { FieldRow } from '../field/field.queries.js';

/** The person's own columns an import reads (the export's names, so an export imports back). */
export const IMPORT_FIELDS = [
  'firstName', 'lastName', 'email', 'phone', 'status', 'birthDate', 'firstVisitOn', 'joinedOn',
  'householdName', 'householdRole', 'tags', 'smsOptedOut',
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

/** One column of the file and what it fills: a person's field, a custom field, or nothing. */
export type ColumnTarget = { kind: 'member'; key: ImportField } | { kind: 'custom'; field: FieldRow };

export interface Column {
  /** 0-based position in the row */
  index: number;
  header: string;
  target: ColumnTarget | null;
  /** why a column is not read (unknown name, archived field, mapped to null…) */
  ignored?: string;
}

/** "First Name", first_name, firstName, FIRST-NAME → firstname */
export const normalize = (s: string) => s.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/** Other names spreadsheets give these columns (normalized). */
const ALIASES: Record<ImportField, string[]> = {
  firstName: ['first', 'givenname', 'forename'],
  lastName: ['last', 'surname', 'familyname'],
  email: ['emailaddress', 'mail'],
  phone: ['phonenumber', 'mobile', 'mobilephone', 'mobilenumber', 'cell', 'cellphone'],
  status: ['memberstatus', 'membershipstatus'],
  birthDate: ['birthday', 'dateofbirth', 'dob'],
  firstVisitOn: ['firstvisit', 'firstvisitdate'],
  joinedOn: ['joined', 'joindate', 'membersince'],
  householdName: ['household', 'family'],
  householdRole: ['familyrole'],
  tags: ['tag'],
  smsOptedOut: ['smsoptout', 'optedout', 'textoptout'],
};

const BY_NAME = new Map<string, ImportField>();
for (const f of IMPORT_FIELDS) {
  BY_NAME.set(normalize(f), f);
  for (const a of ALIASES[f]) BY_NAME.set(a, f);
}

/** Columns of an export that an import does not read, and why. */
const NOT_READ: Record<string, string> = { id: 'ids are given by Steeple: the import creates people' };

export const MAPPING_MAX = 200;

/** A mapping target: a person's field (any of its names), custom field <id>, or a custom field's name. */
function resolveTarget(name: string, fields: readonly FieldRow[]): ColumnTarget | { archived: FieldRow } | null {
  const byId = /^customFields?[.:](\d{1,10})$/i.exec(name.trim());
  if (byId) {
    const f = fields.find((x) => x.id === Number(byId[1]));
    if (!f) return null;
    return f.archivedAt ? { archived: f } : { kind: 'custom', field: f };
  }
  const n = normalize(name);
  const member = BY_NAME.get(n);
  if (member) return { kind: 'member', key: member };
  const f = fields.find((x) => normalize(x.name) === n);
  if (!f) return null;
  return f.archivedAt ? { archived: f } : { kind: 'custom', field: f };
}

export function targetName(t: ColumnTarget): string {
  return t.kind === 'member' ? t.key : t.field.name;
}

/** The `mapping` argument as JSON: { "CSV header": "field" | null }. */
export function parseMapping(raw: string | undefined): Map<string, string | null> {
  if (raw === undefined || raw === '') return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new BadInputError({ field: 'mapping', message: 'must be a JSON object { "CSV header": "field" }' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadInputError({ field: 'mapping', message: 'must be a JSON object { "CSV header": "field" }' });
  }
  const entries = Object.entries(parsed);
  if (entries.length > MAPPING_MAX) throw new BadInputError({ field: 'mapping', message: `accepts at most ${MAPPING_MAX} columns` });
  const out = new Map<string, string | null>();
  const p = new Problems();
  for (const [k, v] of entries) {
    if (v === null || v === '') out.set(k, null);
    else if (typeof v === 'string' && v.length <= 200) out.set(k, v);
    else p.add(`mapping["${k}"]`, 'must be a field name, or null to ignore the column');
  }
  p.throwIfAny();
  return out;
}

/**
 * The file's columns matched to fields: by the mapping first (its header exactly, or written
 * another way), then by name (case, spaces and punctuation aside, and the usual other names). A
 * mapping naming an unknown field, an archived field or a header the file lacks is BAD_USER_INPUT
 * naming it; so are two columns for one field and a file without first and last names. Columns
 * that match nothing are kept in the list, ignored, with the reason.
 */
export function matchColumns(header: readonly string[], mapping: Map<string, string | null>, fields: readonly FieldRow[]): Column[] {
  const p = new Problems();
  const headers = header.map((h) => h.trim());
  const mapped = new Map<number, { key: string; want: string | null }>();
  for (const [key, target] of mapping) {
    let at = headers.indexOf(key.trim());
    if (at < 0) at = headers.findIndex((h) => normalize(h) === normalize(key));
    if (at < 0) p.add(`mapping["${key}"]`, 'is not a column of the file');
    else mapped.set(at, { key, want: target });
  }
  const columns: Column[] = headers.map((h, index) => {
    if (mapped.has(index)) {
      const { key, want } = mapped.get(index)!;
      if (want === null) return { index, header: h, target: null, ignored: 'mapped to null' };
      const t = resolveTarget(want, fields);
      if (t === null) {
        p.add(`mapping["${key}"]`, `"${want}" is not a field: use one of ${IMPORT_FIELDS.join(', ')}, a custom field's name, or customField:<id>`);
        return { index, header: h, target: null };
      }
      if ('archived' in t) {
        p.add(`mapping["${key}"]`, `the custom field "${t.archived.name}" is archived`);
        return { index, header: h, target: null };
      }
      return { index, header: h, target: t };
    }
    if (h === '') return { index, header: h, target: null, ignored: 'no header' };
    if (NOT_READ[h]) return { index, header: h, target: null, ignored: NOT_READ[h] };
    const t = resolveTarget(h, fields);
    if (t === null) return { index, header: h, target: null, ignored: 'matches no field (name it in mapping)' };
    if ('archived' in t) return { index, header: h, target: null, ignored: `the custom field "${t.archived.name}" is archived` };
    return { index, header: h, target: t };
  });
  const seen = new Map<string, Column>();
  for (const c of columns) {
    if (!c.target) continue;
    const key = c.target.kind === 'member' ? c.target.key : `customField:${c.target.field.id}`;
    const before = seen.get(key);
    if (before) p.add('header', `columns "${before.header}" and "${c.header}" both fill ${targetName(c.target)}: map one of them to null in mapping`);
    else seen.set(key, c);
  }
  // a spreadsheet saved with ; or tabs between cells (some locales' "CSV") reads as one column
  const separated = headers.length === 1 && /[;\t]/.test(headers[0]!) ? ': the file seems separated by ";" or tabs; save it comma-separated' : '';
  for (const key of ['firstName', 'lastName'] as const) {
    if (!seen.has(key)) p.add('header', `no column for ${key} (a header such as "${key === 'firstName' ? 'First Name' : 'Last Name'}", or name it in mapping)${separated}`);
  }
  for (const f of fields) {
    if (f.required && !f.archivedAt && !seen.has(`customField:${f.id}`)) p.add('header', `no column for the required custom field "${f.name}"`);
  }
  p.throwIfAny();
  return columns;
}
