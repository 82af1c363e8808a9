import type { Scope } from '../scope.js';
import { parseId } from '../../lib/ids.js';
import { BadInputError, NotFoundError } from '../../lib/errors.js';
import { requireChurchRole } from '../viewer.js';
import { directoryFilter } from '../member/member.service.js';
import type { MembersPageArgs } from '../member/member.input.js';
import type { ExtraWhere } from '../member/member.queries.js';
import { fieldsByChurch, valuesByMember, type ValueRow } from '../field/field.queries.js';
import { getSmartList, smartListWhere } from '../smartlist/smartlist.service.js';
import { MemberStatus } from '../../db/schema/enums.js';
import { exportBatch } from './export.queries.js';
import { BOM, line } from './csv.js';

export const EXPORT_BATCH = 1000;

/** The directory columns of an export (the import reads the same names back). */
export const EXPORT_COLUMNS = [
  'id', 'firstName', 'lastName', 'email', 'phone', 'status', 'householdName', 'householdRole',
  'firstVisitOn', 'joinedOn', 'birthDate', 'smsOptedOut',
] as const;

export interface ExportRequest {
  churchId?: string;
  /** a directory filter (the members query's MemberFilter) as JSON */
  filter?: string;
  smartListId?: string;
}

function valueOf(v: ValueRow | undefined): unknown {
  if (!v) return null;
  return v.valueText ?? v.valueNumber ?? v.valueDate ?? (v.valueBool === null ? null : v.valueBool ? 'yes' : 'no') ?? v.valueChoices;
}

/**
 * Checks the request (STAFF and up: a VIEWER may look people up but not take the directory away in
 * bulk) and returns the file's lines as an async generator: one batch of EXPORT_BATCH people in
 * memory at a time, the consumer's pace (the HTTP response's backpressure) deciding when the next
 * batch is read. Archived custom fields are left out.
 */
export async function exportMembers(scope: Scope, req: ExportRequest): Promise<{ churchId: number; filename: string; lines: AsyncGenerator<string> }> {
  let churchId: number;
  let where: ExtraWhere | undefined;
  let name = 'members';
  if (req.smartListId) {
    const list = await getSmartList({ scope, id: req.smartListId, field: 'smartListId' });
    churchId = list.churchId;
    if (req.churchId && parseId(req.churchId, 'Church', 'churchId') !== churchId) throw new NotFoundError('SmartList', list.id, 'smartListId');
    requireChurchRole(scope.auth, churchId, 'staff', 'smartListId');
    where = await smartListWhere(scope, list);
    name = `list-${list.id}`;
  } else {
    if (!req.churchId) throw new BadInputError({ field: 'churchId', message: 'is required (or smartListId)' });
    churchId = parseId(req.churchId, 'Church', 'churchId');
    requireChurchRole(scope.auth, churchId, 'staff', 'churchId');
  }
  let parsed: unknown = {};
  if (req.filter) {
    try {
      parsed = JSON.parse(req.filter);
    } catch {
      throw new BadInputError({ field: 'filter', message: 'must be a MemberFilter as JSON' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadInputError({ field: 'filter', message: 'must be a MemberFilter as JSON' });
  }
  const input = parsed as NonNullable<MembersPageArgs['filter']> & { status?: unknown };
  if (input.status !== undefined && input.status !== null) {
    const known = new Set<string>(Object.values(MemberStatus));
    const given = Array.isArray(input.status) ? input.status : [input.status];
    const bad = given.find((x) => typeof x !== 'string' || !known.has(x.toLowerCase()));
    if (bad !== undefined) throw new BadInputError({ field: 'filter.status', message: 'must be a list of VISITOR, REGULAR, MEMBER, INACTIVE' });
    input.status = given.map((x) => (x as string).toLowerCase()) as never;
  }
  const filter = await directoryFilter(scope, churchId, input);
  const fields = ((await fieldsByChurch(scope.db, [churchId])).get(churchId) ?? []).filter((f) => !f.archivedAt);
  const db = scope.db;

  async function* lines(): AsyncGenerator<string> {
    let header: string | null = BOM + line([...EXPORT_COLUMNS, ...fields.map((f) => f.name)]);
    let after: [string, string, number] | undefined;
    for (;;) {
      const rows = await exportBatch(db, churchId, filter, EXPORT_BATCH, after, where);
      // the header goes with the first batch: whatever fails, fails before the first byte is sent
      if (header !== null) {
        if (!rows.length) {
          yield header;
          return;
        }
      } else if (!rows.length) return;
      const values = fields.length ? await valuesByMember(db, rows.map((r) => r.id), [churchId]) : new Map<number, ValueRow[]>();
      let chunk = header ?? '';
      header = null;
      for (const r of rows) {
        const vs = values.get(r.id) ?? [];
        chunk += line([
          r.id, r.first_name, r.last_name, r.email, r.phone, r.status.toUpperCase(), r.household_name, r.household_role?.toUpperCase(),
          r.first_visit_on, r.joined_on, r.birth_date, r.sms_opted_out ? 'yes' : 'no',
          ...fields.map((f) => valueOf(vs.find((v) => v.fieldId === f.id))),
        ]);
      }
      yield chunk;
      if (rows.length < EXPORT_BATCH) return;
      const last = rows[rows.length - 1]!;
      after = [last.ll, last.lf, last.id];
    }
  }
  return { churchId, filename: `${name}-${new Date().toISOString().slice(0, 10)}.csv`, lines: lines() };
}
