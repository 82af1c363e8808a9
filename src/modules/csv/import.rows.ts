import { Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { HouseholdRole, MemberStatus } from '../../db/schema/enums.js';
import { copyText } from '../../db/copy.js';
import type { StoredValue } from '../field/field.queries.js';
import { valueFromCell } from '../field/field.service.js';
import { TAGS_CAP, type TagRow } from '../tag/tag.queries.js';
import { TAG_NAME_MAX } from '../tag/tag.service.js';
import { targetName, type Column } from './import.columns.js';

const STATUSES = new Map(Object.entries(MemberStatus));
const ROLES = new Map(Object.entries(HouseholdRole));
const YES = new Set(['yes', 'y', 'true', '1']);
const NO = new Set(['no', 'n', 'false', '0']);

export interface RowContext {
  /** the church's tags (at most TAGS_CAP): names in a file are matched to them, case aside */
  tags: readonly TagRow[];
  /** PHONE_DEFAULT_REGION */
  region: string;
  /** today in the church's time zone (the dates a status stamps) */
  today: string;
  problem(row: number, column: string | null, field: string, message: string): void;
}

/**
 * The row checker of one import: each row as createMember checks its input (names, email, phone,
 * dates, status, household, tags, custom fields by type), its problems reported with the row and
 * the column, and a valid row turned into a line of the staging table's COPY text format
 * (import.queries.ts STAGING_COLUMNS). Tags the church lacks are collected (newTags), up to the
 * church's cap, so memory stays bounded whatever the file names.
 */
export function rowChecker(ctx: RowContext): { checkRow: (row: number, cells: string[], columns: Column[]) => string | null; newTags: Map<string, string> } {
  const { tags, region, today, problem } = ctx;
  const tagByName = new Map(tags.map((t) => [t.name.toLowerCase(), t]));
  /** lower-cased name → the name as the file first spells it */
  const newTags = new Map<string, string>();
  return { checkRow, newTags };

  /** One row checked; its COPY line, or null after recording its problems. */
  function checkRow(row: number, cells: string[], columns: Column[]): string | null {
    const p = new Problems();
    const headerOf = new Map<string, string>();
    const cell = new Map<string, string>();
    const values: Record<string, StoredValue> = {};
    for (const c of columns) {
      if (!c.target) continue;
      const name = targetName(c.target);
      headerOf.set(name, c.header);
      const raw = cells[c.index] ?? '';
      if (c.target.kind === 'member') cell.set(c.target.key, raw);
      else {
        const f = c.target.field;
        const value = valueFromCell(p, f.name, f, raw);
        if (value === null && f.required) p.add(f.name, `"${f.name}" is required`);
        if (value) values[f.id] = value;
      }
    }
    const extra = cells.slice(columns.length).filter((c) => c.trim() !== '').length;
    const blankToNull = (key: string) => {
      const x = cell.get(key);
      return x === undefined || x.trim() === '' ? null : x;
    };
    const firstName = v.text(p, 'firstName', cell.get('firstName') ?? '', { max: v.LIMITS.personName, required: true });
    const lastName = v.text(p, 'lastName', cell.get('lastName') ?? '', { max: v.LIMITS.personName, required: true });
    const email = v.email(p, 'email', blankToNull('email'));
    const phone = v.phone(p, 'phone', blankToNull('phone'), region);
    const statusRaw = blankToNull('status');
    const status = statusRaw === null ? MemberStatus.VISITOR : STATUSES.get(statusRaw.trim().toUpperCase());
    if (!status) p.add('status', 'must be VISITOR, REGULAR, MEMBER or INACTIVE');
    let firstVisitOn = v.isoDate(p, 'firstVisitOn', blankToNull('firstVisitOn'));
    let joinedOn = v.isoDate(p, 'joinedOn', blankToNull('joinedOn'));
    const birthDate = v.isoDate(p, 'birthDate', blankToNull('birthDate'));
    const household = v.text(p, 'householdName', blankToNull('householdName'), { max: v.LIMITS.name });
    const roleRaw = blankToNull('householdRole');
    const role = roleRaw === null ? null : ROLES.get(roleRaw.trim().toUpperCase());
    if (role === undefined) p.add('householdRole', 'must be HEAD, SPOUSE, CHILD or OTHER');
    if (role && !household) p.add('householdRole', 'needs a householdName');
    const optRaw = blankToNull('smsOptedOut')?.trim().toLowerCase() ?? null;
    if (optRaw !== null && !YES.has(optRaw) && !NO.has(optRaw)) p.add('smsOptedOut', 'must be yes or no');
    const rowTags: string[] = [];
    for (const raw of (blankToNull('tags') ?? '').split(';')) {
      if (raw.trim() === '') continue;
      const name = v.text(p, 'tags', raw, { max: TAG_NAME_MAX, required: true });
      if (!name) continue;
      const key = name.toLowerCase();
      if (rowTags.some((t) => t.toLowerCase() === key)) continue;
      const known = tagByName.get(key);
      if (known?.archivedAt) p.add('tags', `the tag "${known.name}" is archived`);
      else if (known) rowTags.push(known.name);
      else if (!newTags.has(key) && tags.length + newTags.size >= TAGS_CAP) p.add('tags', `"${name}" would be a new tag, and a church can have at most ${TAGS_CAP}`);
      else {
        newTags.set(key, name);
        rowTags.push(name);
      }
    }
    for (const pr of p.list) problem(row, headerOf.get(pr.field) ?? null, pr.field, pr.message);
    if (extra > 0) problem(row, null, 'row', `has ${cells.length} cells; the header has ${columns.length}`);
    if (!p.empty || extra > 0) return null;
    // the dates a status stamps when not given, as createMember and importMembers do
    if (status === MemberStatus.VISITOR && !firstVisitOn) firstVisitOn = today;
    if (status === MemberStatus.MEMBER && !joinedOn) joinedOn = today;
    const inactivatedOn = status === MemberStatus.INACTIVE ? today : null;
    const fieldsJson = Object.keys(values).length ? JSON.stringify(values) : null;
    return [
      row, firstName, lastName, email ?? null, phone ?? null, status, firstVisitOn ?? null, joinedOn ?? null, inactivatedOn,
      birthDate ?? null, household ?? null, role ?? null, optRaw !== null && YES.has(optRaw) ? 't' : 'f',
      rowTags.length ? JSON.stringify(rowTags) : null, fieldsJson,
    ].map((x) => copyText(x)).join('\t') + '\n';
  }
}
