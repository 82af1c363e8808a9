import type { Scope } from '../scope.js';
import { HouseholdRole, MemberStatus } from '../../db/schema/enums.js';
import { BadInputError, Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole } from '../viewer.js';
import { insertHouseholds } from '../household/household.queries.js';
import type { ImportMemberRow } from './member.input.js';
import { optedOutPhones } from './consent.queries.js';
import { insertMembers, type NewMemberRow } from './member.queries.js';
import { invalidatePeople } from '../../cache/invalidate.js';
import { actorOf, audit, changesOf, MEMBER_FIELDS } from '../audit/audit.service.js';

export const IMPORT_MAX_ROWS = 5000;
// 5,000 rows x 13 columns stays far below PostgreSQL's 65,535 bind parameters per statement.
const INSERT_CHUNK = 1000;

export interface ImportRowError {
  row: number;
  field: string;
  message: string;
}

export interface ImportResult {
  imported: number;
  householdsCreated: number;
  errors: ImportRowError[];
}

const STATUSES = new Map(Object.entries(MemberStatus));
const ROLES = new Map(Object.entries(HouseholdRole));

/**
 * Validates every row first; writes nothing unless all rows are valid, then writes households and
 * members in one transaction. Rows are numbered from 1 in the error report.
 */
export async function importMembers({ scope, churchId, rows }: { scope: Scope; churchId: string; rows: ImportMemberRow[] }): Promise<ImportResult> {
  if (rows.length === 0) throw new BadInputError({ field: 'rows', message: 'must contain at least one row' });
  if (rows.length > IMPORT_MAX_ROWS) {
    throw new BadInputError({ field: 'rows', message: `accepts at most ${IMPORT_MAX_ROWS} rows per import (got ${rows.length})` });
  }
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'staff');
  const today = v.todayIn(church.timeZone);
  const errors: ImportRowError[] = [];
  const valid: Array<{ member: NewMemberRow; household: string | null }> = [];

  rows.forEach((r, i) => {
    const p = new Problems();
    const status = r.status == null || r.status.trim() === '' ? MemberStatus.VISITOR : STATUSES.get(r.status.trim().toUpperCase());
    if (!status) p.add('status', 'must be VISITOR, REGULAR, MEMBER or INACTIVE');
    const role = r.householdRole == null || r.householdRole.trim() === '' ? null : ROLES.get(r.householdRole.trim().toUpperCase());
    if (role === undefined) p.add('householdRole', 'must be HEAD, SPOUSE, CHILD or OTHER');
    const household = v.text(p, 'householdName', r.householdName, { max: v.LIMITS.name }) ?? null;
    if (role && !household) p.add('householdRole', 'needs a householdName');
    const member: NewMemberRow = {
      churchId: church.id,
      firstName: v.text(p, 'firstName', r.firstName, { max: v.LIMITS.personName, required: true }) ?? '',
      lastName: v.text(p, 'lastName', r.lastName, { max: v.LIMITS.personName, required: true }) ?? '',
      email: v.email(p, 'email', r.email) ?? null,
      phone: v.phone(p, 'phone', r.phone, scope.config.phone.defaultRegion) ?? null,
      status: status ?? 'visitor',
      firstVisitOn: v.isoDate(p, 'firstVisitOn', r.firstVisitOn) ?? null,
      joinedOn: v.isoDate(p, 'joinedOn', r.joinedOn) ?? null,
      birthDate: v.isoDate(p, 'birthDate', r.birthDate) ?? null,
      householdRole: role ?? null,
    };
    if (member.status === 'member' && !member.joinedOn) member.joinedOn = today;
    if (member.status === 'visitor' && !member.firstVisitOn) member.firstVisitOn = today;
    if (member.status === 'inactive') member.inactivatedOn = today;
    for (const pr of p.list) errors.push({ row: i + 1, field: pr.field, message: pr.message });
    if (p.empty) valid.push({ member, household });
  });
  if (errors.length) return { imported: 0, householdsCreated: 0, errors };

  const result = await scope.db.transaction(async (tx) => {
    const names = [...new Set(valid.map((x) => x.household).filter((h): h is string => h !== null))];
    const created = new Map<string, number>();
    for (let i = 0; i < names.length; i += INSERT_CHUNK) {
      const chunk = await insertHouseholds(
        tx,
        names.slice(i, i + INSERT_CHUNK).map((name) => ({ churchId: church.id, name })),
      );
      chunk.forEach((h) => created.set(h.name, h.id));
    }
    // a number that replied STOP stays opted out for whoever is imported with it
    const stopped = await optedOutPhones(tx, church.id, valid.flatMap((x) => (x.member.phone ? [x.member.phone] : [])));
    const members = valid.map((x) => {
      const optOut = x.member.phone ? stopped.get(x.member.phone) : undefined;
      return {
        ...x.member,
        householdId: x.household ? (created.get(x.household) ?? null) : null,
        ...(optOut ? { smsOptedOutAt: optOut.optedOutAt, smsOptOutVia: optOut.via } : {}),
      };
    });
    let imported = 0;
    for (let i = 0; i < members.length; i += INSERT_CHUNK) {
      const made = await insertMembers(tx, members.slice(i, i + INSERT_CHUNK));
      await audit(tx, actorOf(scope.auth), made.map((m) => ({ churchId: church.id, entity: 'Member', entityId: m.id, action: 'import', changes: changesOf(null, m, MEMBER_FIELDS) })));
      imported += made.length;
    }
    return { imported, householdsCreated: names.length, errors: [] };
  });
  await invalidatePeople(scope.cache, church.id);
  return result;
}
