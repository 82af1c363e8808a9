import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageEdge, pageSize, toConnection } from '../../lib/paging.js';
import { MemberStatus } from '../../db/schema/enums.js';
import { MemberOrderBy } from './member.order.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId, parseIds } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import type { ChurchRow } from '../church/church.queries.js';
import type { CreateMemberInput, MembersPageArgs, UpdateMemberInput } from './member.input.js';
import { optedOutPhones } from './consent.queries.js';
import * as q from './member.queries.js';
import type { MemberRow, NewMemberRow } from './member.queries.js';
import { invalidatePeople } from '../../cache/invalidate.js';
import { fieldFilters, fieldOfChurch, planValues } from '../field/field.service.js';
import { valuesByMember, writeValues, type ValueRow } from '../field/field.queries.js';
import { actorOf, audit, changesOf, MEMBER_FIELDS } from '../audit/audit.service.js';

const CURSOR_SHAPE = {
  NAME: ['string', 'string', 'number'],
  JOINED: ['date', 'number'],
} as const satisfies Record<MemberOrderBy, Array<'string' | 'number' | 'date'>>;

export async function getMember({ scope, id, field = 'id' }: { scope: Scope; id: string | number; field?: string }): Promise<MemberRow> {
  requireViewer(scope.auth);
  const memberId = parseId(id, 'Member', field);
  const member = await scope.loaders.member.load(memberId);
  if (!member) throw new NotFoundError('Member', memberId, field);
  return member;
}

/**
 * A number that replied STOP stays opted out for whoever gets it (sms_consents): a member created
 * or given that number is marked opted out too. The worker and audiences check the number itself
 * as well, so a STOP that lands between this read and the write still holds.
 */
async function numberOptOut(scope: Scope, churchId: number, phone: string | null): Promise<Partial<NewMemberRow>> {
  if (!phone) return {};
  const found = (await optedOutPhones(scope.db, churchId, [phone])).get(phone);
  return found ? { smsOptedOutAt: found.optedOutAt, smsOptOutVia: found.via } : {};
}

/** A value row as an audit value: the one value column set. */
function storedOf(v: ValueRow): unknown {
  return v.valueText ?? v.valueNumber ?? v.valueDate ?? v.valueBool ?? v.valueChoices ?? null;
}

async function valuesOf(tx: Parameters<Parameters<Scope['db']['transaction']>[0]>[0], memberId: number, churchId: number): Promise<Map<number, unknown>> {
  const rows = (await valuesByMember(tx, [memberId], [churchId])).get(memberId) ?? [];
  return new Map(rows.map((r) => [r.fieldId, storedOf(r)]));
}

/** A household id from input, checked to belong to the church (another church's answers NOT_FOUND). */
async function householdInChurch(scope: Scope, churchId: number, id: string, field: string): Promise<number> {
  const householdId = parseId(id, 'Household', field);
  const h = await scope.loaders.household.load(householdId);
  if (!h || h.churchId !== churchId) throw new NotFoundError('Household', householdId, field);
  return householdId;
}

export const MAX_TAG_FILTER = 20;

/**
 * The member directory of one church: a keyset page, batched across parents by the loaders.
 * `where` narrows it to a smart list (its compiled rules): such a page is one statement of its own.
 */
export async function listMembers({ scope, church, args, where }: { scope: Scope; church: Pick<ChurchRow, 'id'>; args: MembersPageArgs; where?: q.ExtraWhere }) {
  requireChurchRole(scope.auth, church.id, 'viewer');
  const first = pageSize(args.first);
  const orderBy = args.orderBy ?? MemberOrderBy.NAME;
  const p = new Problems();
  const fieldOrder = args.orderByField ? await fieldOrderOf(scope, p, church.id, args.orderByField) : undefined;
  const filter = await directoryFilter(scope, church.id, args.filter ?? {}, p);
  if (fieldOrder) return listByField(scope, church.id, filter, fieldOrder, first, args.after, where);
  const after = cursorKeys(args.after, orderBy, [...CURSOR_SHAPE[orderBy]]);
  const pageArgs = { filter, orderBy, limit: first + 1, after };
  const rows: q.PagedMember[] =
    first === 0 ? [] : where ? await q.pageOneChurch(scope.db, church.id, pageArgs, where) : await scope.loaders.membersPage(pageArgs).load(church.id);
  // a page fetched in one statement brought each member's household and groups (Member.household
  // and Member.groups answer from them, without a loader) and the total
  const total = rows[0]?.page?.total;
  return toConnection(
    rows,
    first,
    after !== undefined,
    pageEdge(orderBy, (m: MemberRow) => q.memberSortKey(orderBy, m)),
    () => (typeof total === 'number' ? Promise.resolve(total) : countOf(scope, church.id, filter, where)),
  );
}

/**
 * A directory filter from input, validated (BAD_USER_INPUT naming filter.…) and checked against the
 * church (a group, household or tag of another church answers NOT_FOUND): the page, the count and
 * the CSV export (src/modules/csv) read people through it.
 */
export async function directoryFilter(scope: Scope, churchId: number, f: NonNullable<MembersPageArgs['filter']>, p = new Problems()): Promise<q.MemberFilter> {
  const search = v.text(p, 'filter.search', f.search, { max: v.LIMITS.search }) ?? undefined;
  const fields = f.customFields?.length ? await fieldFilters(scope, p, churchId, f.customFields, 'filter.customFields') : [];
  p.throwIfAny();
  const filter: q.MemberFilter = { archived: f.archived ?? false };
  if (fields.length) filter.fields = fields;
  if (f.tagIds?.length) filter.tagIds = await tagsInChurch(scope, churchId, f.tagIds);
  if (f.status?.length) filter.status = [...new Set(f.status)].sort();
  if (search) filter.search = search;
  if (f.householdId != null) filter.householdId = await householdInChurch(scope, churchId, f.householdId, 'filter.householdId');
  if (f.groupId != null) {
    const groupId = parseId(f.groupId, 'Group', 'filter.groupId');
    const g = await scope.loaders.group.load(groupId);
    if (!g || g.churchId !== churchId) throw new NotFoundError('Group', groupId, 'filter.groupId');
    filter.groupId = groupId;
  }
  return filter;
}

function countOf(scope: Scope, churchId: number, filter: q.MemberFilter, where?: q.ExtraWhere): Promise<number> {
  return where ? q.countOneChurch(scope.db, churchId, filter, where) : scope.loaders.membersCount(filter).load(churchId);
}

/** Tag ids of a filter, each a tag of the church (another church's answers NOT_FOUND, like one that does not exist). */
async function tagsInChurch(scope: Scope, churchId: number, ids: readonly string[]): Promise<number[]> {
  const tagIds = parseIds(ids, 'Tag', 'filter.tagIds', MAX_TAG_FILTER).sort((x, y) => x - y);
  const found = new Set(await q.tagIdsInChurch(scope.db, churchId, tagIds));
  const missing = tagIds.find((id) => !found.has(id));
  if (missing !== undefined) throw new NotFoundError('Tag', missing, 'filter.tagIds');
  return tagIds;
}

async function fieldOrderOf(scope: Scope, p: Problems, churchId: number, o: { fieldId: string; descending?: boolean | null }): Promise<q.FieldOrder | undefined> {
  const f = await fieldOfChurch(scope, p, churchId, o.fieldId, 'orderByField.fieldId');
  if (!f) return undefined;
  if (f.type === 'multiple_choice') {
    p.add('orderByField.fieldId', `"${f.name}" is a MULTIPLE_CHOICE field: filter by it instead`);
    return undefined;
  }
  return { fieldId: f.id, type: f.type, descending: o.descending ?? false };
}

/** A sort value of a field-ordered cursor, checked against what its SQL cast accepts. */
function fieldCursorValueOk(type: q.FieldOrder['type'], value: string): boolean {
  if (type === 'number') return /^-?\d{1,16}(\.\d{1,40})?$/.test(value);
  if (type === 'date') return /^\d{4}-\d{2}-\d{2}$/.test(value) && v.isoDate(new Problems(), 'x', value) !== undefined;
  if (type === 'yes_no') return value === 'true' || value === 'false';
  return true;
}

async function listByField(scope: Scope, churchId: number, filter: q.MemberFilter, o: q.FieldOrder, first: number, afterArg: string | null | undefined, where?: q.ExtraWhere) {
  const tag = `FIELD:${o.fieldId}:${o.descending ? 'D' : 'A'}`;
  const after = cursorKeys(afterArg, tag, ['number', 'string', 'string', 'number']);
  if (after && (after[0] > 1 || (after[0] === 0 && !fieldCursorValueOk(o.type, after[1])))) {
    throw new BadInputError({ field: 'after', message: 'is not a valid cursor for this list and ordering' });
  }
  const rows = first === 0 ? [] : await q.pageMembersByField(scope.db, churchId, filter, o, first + 1, after, where);
  return toConnection(
    rows,
    first,
    after !== undefined,
    cursorEdge(tag, (m: q.FieldPagedMember) => m.sortKey),
    () => countOf(scope, churchId, filter, where),
  );
}

/**
 * Growth dates follow status: first visit for visitors, joined for members, inactivated for
 * inactive. inactivatedOn keeps the last time someone went inactive, also after they return.
 */
function stampStatusDates(
  status: MemberStatus,
  previous: MemberRow | undefined,
  given: { firstVisitOn?: string | null; joinedOn?: string | null },
  today: string,
): Partial<NewMemberRow> {
  const out: Partial<NewMemberRow> = {};
  if (status === MemberStatus.VISITOR && given.firstVisitOn === undefined && !previous?.firstVisitOn) out.firstVisitOn = today;
  if (status === MemberStatus.MEMBER && given.joinedOn === undefined && !previous?.joinedOn) out.joinedOn = today;
  if (status === MemberStatus.INACTIVE && previous?.status !== 'inactive') out.inactivatedOn = today;
  return out;
}

function validatePerson(
  scope: Scope,
  p: Problems,
  input: Partial<CreateMemberInput & UpdateMemberInput>,
  creating: boolean,
) {
  const req = (key: 'firstName' | 'lastName') => creating || input[key] !== undefined;
  return {
    firstName: v.text(p, 'input.firstName', input.firstName, { max: v.LIMITS.personName, required: req('firstName') }) ?? undefined,
    lastName: v.text(p, 'input.lastName', input.lastName, { max: v.LIMITS.personName, required: req('lastName') }) ?? undefined,
    email: v.email(p, 'input.email', input.email),
    phone: v.phone(p, 'input.phone', input.phone, scope.config.phone.defaultRegion),
    firstVisitOn: v.isoDate(p, 'input.firstVisitOn', input.firstVisitOn),
    joinedOn: v.isoDate(p, 'input.joinedOn', input.joinedOn),
    birthDate: v.isoDate(p, 'input.birthDate', input.birthDate),
  };
}

export async function createMember({ scope, input }: { scope: Scope; input: CreateMemberInput }): Promise<MemberRow> {
  const church = await getChurch({ scope, id: input.churchId, field: 'input.churchId' });
  requireChurchRole(scope.auth, church.id, 'staff', 'input.churchId');
  const p = new Problems();
  const person = validatePerson(scope, p, input, true);
  if (input.householdRole && !input.householdId) p.add('input.householdRole', 'needs a householdId');
  const values = await planValues(scope, p, church.id, input.customFields, { prefix: 'input.customFields', creating: true });
  p.throwIfAny();
  const householdId = input.householdId
    ? await householdInChurch(scope, church.id, input.householdId, 'input.householdId')
    : null;
  const status = input.status ?? MemberStatus.VISITOR;
  const row: NewMemberRow = {
    churchId: church.id,
    firstName: person.firstName!,
    lastName: person.lastName!,
    email: person.email ?? null,
    phone: person.phone ?? null,
    status,
    firstVisitOn: person.firstVisitOn ?? null,
    joinedOn: person.joinedOn ?? null,
    birthDate: person.birthDate ?? null,
    householdId,
    householdRole: householdId ? (input.householdRole ?? null) : null,
    ...stampStatusDates(status, undefined, input, v.todayIn(church.timeZone)),
    ...(await numberOptOut(scope, church.id, person.phone ?? null)),
  };
  const member = await scope.db.transaction(async (tx) => {
    const [m] = await q.insertMembers(tx, [row]);
    await writeValues(tx, church.id, [m!.id], values);
    const fieldChanges = Object.fromEntries(values.map((w) => [`customFields.${w.fieldId}`, [null, w.value ? Object.values(w.value).find((x) => x != null) ?? null : null] as [unknown, unknown]]));
    await audit(tx, actorOf(scope.auth), [{ churchId: church.id, entity: 'Member', entityId: m!.id, action: 'create', changes: { ...changesOf(null, m!, MEMBER_FIELDS), ...fieldChanges } }]);
    return m!;
  });
  await invalidatePeople(scope.cache, church.id);
  return member;
}

/**
 * The opt-out asked for: smsOptedOut, or its deprecated name smsOptOut (both accepted; given
 * both, they must agree). Null means not given, like an omitted field.
 */
function optOutOf(p: Problems, input: UpdateMemberInput): { value: boolean; field: string } | undefined {
  const given = ([['smsOptedOut', input.smsOptedOut], ['smsOptOut', input.smsOptOut]] as const).filter(([, val]) => val != null);
  if (given.length === 2 && given[0]![1] !== given[1]![1]) {
    p.add('input.smsOptedOut', 'contradicts smsOptOut (its deprecated name): give only smsOptedOut');
  }
  const [first] = given;
  return first ? { value: first[1]!, field: `input.${first[0]}` } : undefined;
}

export async function updateMember({ scope, id, input }: { scope: Scope; id: string; input: UpdateMemberInput }): Promise<MemberRow> {
  const current = await getMember({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'staff', 'id');
  const church = await getChurch({ scope, id: current.churchId });
  const p = new Problems();
  const person = validatePerson(scope, p, input, false);
  const optOut = optOutOf(p, input);
  if (optOut?.value === false && current.smsOptedOutAt) {
    p.add(optOut.field, 'only the person can opt back in to texts, by replying START');
  }
  const householdGone = input.householdId === null;
  if (input.householdRole && (householdGone || (input.householdId === undefined && !current.householdId))) {
    p.add('input.householdRole', 'needs a household');
  }
  const values = input.customFields ? await planValues(scope, p, church.id, input.customFields, { prefix: 'input.customFields', creating: false }) : [];
  p.throwIfAny();
  const patch: Partial<NewMemberRow> = {};
  for (const [k, val] of Object.entries(person)) if (val !== undefined) (patch as Record<string, unknown>)[k] = val;
  if (input.householdId != null) patch.householdId = await householdInChurch(scope, church.id, input.householdId, 'input.householdId');
  if (householdGone) {
    patch.householdId = null;
    patch.householdRole = null;
  } else if (input.householdRole !== undefined) patch.householdRole = input.householdRole;
  if (input.status !== undefined && input.status !== null && input.status !== current.status) {
    patch.status = input.status;
    Object.assign(patch, stampStatusDates(input.status, current, input, v.todayIn(church.timeZone)));
  }
  if (optOut?.value === true && !current.smsOptedOutAt) {
    patch.smsOptedOutAt = scope.clock.now();
    patch.smsOptOutVia = 'staff';
  }
  if (patch.phone && patch.phone !== current.phone && !current.smsOptedOutAt && !patch.smsOptedOutAt) {
    Object.assign(patch, await numberOptOut(scope, church.id, patch.phone));
  }
  const row = await scope.db.transaction(async (tx) => {
    const r = await q.updateMember(tx, church.id, current.id, patch);
    if (r) {
      const before = values.length ? await valuesOf(tx, r.id, church.id) : new Map<number, unknown>();
      await writeValues(tx, church.id, [r.id], values);
      // only the values that changed: the same answer given again is not a change
      const fieldChanges = Object.fromEntries(
        values
          .map((w) => [`customFields.${w.fieldId}`, [before.get(w.fieldId) ?? null, w.value ? Object.values(w.value).find((x) => x != null) ?? null : null] as [unknown, unknown]] as const)
          .filter(([, [b, a]]) => JSON.stringify(b) !== JSON.stringify(a)),
      );
      await audit(tx, actorOf(scope.auth), [{ churchId: church.id, entity: 'Member', entityId: r.id, action: 'update', changes: { ...changesOf(current, r, MEMBER_FIELDS), ...fieldChanges } }]);
    }
    return r;
  });
  if (!row) throw new NotFoundError('Member', current.id);
  scope.loaders.member.clear(row.id).prime(row.id, row);
  scope.loaders.memberValues.clear(row.id);
  await invalidatePeople(scope.cache, church.id, [['Member', row.id]]);
  return row;
}

export async function setMemberArchived({ scope, id, archived }: { scope: Scope; id: string; archived: boolean }): Promise<MemberRow> {
  const current = await getMember({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'staff', 'id');
  const row = await scope.db.transaction(async (tx) => {
    const r = await q.setArchived(tx, current.churchId, current.id, archived);
    if (r && (r.archivedAt === null) !== (current.archivedAt === null)) {
      await audit(tx, actorOf(scope.auth), [{ churchId: current.churchId, entity: 'Member', entityId: r.id, action: archived ? 'archive' : 'restore', changes: changesOf(current, r, ['archivedAt']) }]);
    }
    return r;
  });
  if (!row) throw new NotFoundError('Member', current.id);
  scope.loaders.member.clear(row.id).prime(row.id, row);
  await invalidatePeople(scope.cache, current.churchId, [['Member', row.id]]);
  return row;
}
