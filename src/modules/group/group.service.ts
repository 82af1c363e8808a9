import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { GroupKind, GroupRole } from '../../db/schema/enums.js';
import { NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import type { MemberRow } from '../member/member.queries.js';
import { getMember } from '../member/member.service.js';
import type { AddGroupMemberInput, CreateGroupInput, UpdateGroupInput } from './group.input.js';
import * as q from './group.queries.js';
import type { GroupMemberRow, GroupRow } from './group.queries.js';
import { invalidatePeople, invalidateStructure } from '../../cache/invalidate.js';
import { actorOf, audit, changesOf } from '../audit/audit.service.js';

const GROUP_FIELDS = ['name', 'kind', 'description'] as const;

export async function getGroup({ scope, id, field = 'id' }: { scope: Scope; id: string; field?: string }): Promise<GroupRow> {
  requireViewer(scope.auth);
  const groupId = parseId(id, 'Group', field);
  const g = await scope.loaders.group.load(groupId);
  if (!g) throw new NotFoundError('Group', groupId, field);
  return g;
}

export async function listGroups({ scope, church, first: f, after: a }: { scope: Scope; church: ChurchRow; first?: number; after?: string }) {
  requireChurchRole(scope.auth, church.id, 'viewer');
  const first = pageSize(f);
  const after = cursorKeys(a, 'GROUP', ['string', 'number']);
  const rows = first === 0 ? [] : await scope.loaders.groupsPage({ limit: first + 1, after }).load(church.id);
  return toConnection(
    rows,
    first,
    after !== undefined,
    cursorEdge('GROUP', (g: GroupRow) => [g.name.toLowerCase(), g.id]),
    () => scope.loaders.groupsCount.load(church.id),
  );
}

export async function listGroupMembers({ scope, group, first: f, after: a }: { scope: Scope; group: GroupRow; first?: number; after?: string }) {
  requireChurchRole(scope.auth, group.churchId, 'viewer');
  const first = pageSize(f);
  const after = cursorKeys(a, 'NAME', ['string', 'string', 'number']);
  const rows = first === 0 ? [] : await scope.loaders.groupMembersPage({ limit: first + 1, after }).load(group.id);
  const edge = cursorEdge('NAME', (m: MemberRow) => [m.lastName.toLowerCase(), m.firstName.toLowerCase(), m.id]);
  return toConnection(
    rows,
    first,
    after !== undefined,
    (r: GroupMemberRow) => ({ ...edge(r.member), role: r.role, joinedOn: r.joinedOn }),
    () => scope.loaders.groupMembersCount.load(group.id),
  );
}

function validateGroup(p: Problems, input: Partial<CreateGroupInput>, creating: boolean) {
  return {
    name: v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: creating || input.name !== undefined }) ?? undefined,
    description: v.text(p, 'input.description', input.description, { max: v.LIMITS.description }),
  };
}

export async function createGroup({ scope, input }: { scope: Scope; input: CreateGroupInput }): Promise<GroupRow> {
  const church = await getChurch({ scope, id: input.churchId, field: 'input.churchId' });
  requireChurchRole(scope.auth, church.id, 'staff', 'input.churchId');
  const p = new Problems();
  const g = validateGroup(p, input, true);
  p.throwIfAny();
  return scope.db.transaction(async (tx) => {
    const row = await q.insertGroup(tx, {
      churchId: church.id,
      name: g.name!,
      kind: input.kind ?? GroupKind.SMALL_GROUP,
      description: g.description ?? null,
    });
    await audit(tx, actorOf(scope.auth), [{ churchId: church.id, entity: 'Group', entityId: row.id, action: 'create', changes: changesOf(null, row, GROUP_FIELDS) }]);
    return row;
  });
}

export async function updateGroup({ scope, id, input }: { scope: Scope; id: string; input: UpdateGroupInput }): Promise<GroupRow> {
  const current = await getGroup({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'staff', 'id');
  const p = new Problems();
  const g = validateGroup(p, input, false);
  if (input.kind === null) p.add('input.kind', 'cannot be null');
  p.throwIfAny();
  const row = await scope.db.transaction(async (tx) => {
    const r = await q.updateGroup(tx, current.id, { name: g.name, description: g.description, kind: input.kind ?? undefined });
    if (r) await audit(tx, actorOf(scope.auth), [{ churchId: r.churchId, entity: 'Group', entityId: r.id, action: 'update', changes: changesOf(current, r, GROUP_FIELDS) }]);
    return r;
  });
  if (!row) throw new NotFoundError('Group', current.id);
  scope.loaders.group.clear(row.id).prime(row.id, row);
  await invalidateStructure(scope.cache, row.churchId, [['Group', row.id]]);
  return row;
}

/** Group and member must belong to one church; a member of another church answers NOT_FOUND. */
async function pair(scope: Scope, groupId: string, memberId: string, prefix: string) {
  const group = await getGroup({ scope, id: groupId, field: `${prefix}groupId` });
  const member = await getMember({ scope, id: memberId, field: `${prefix}memberId` });
  if (member.churchId !== group.churchId) throw new NotFoundError('Member', member.id, `${prefix}memberId`);
  requireChurchRole(scope.auth, group.churchId, 'staff', `${prefix}groupId`);
  return { group, member };
}

export async function addGroupMember({ scope, input }: { scope: Scope; input: AddGroupMemberInput }) {
  const p = new Problems();
  const joinedOn = v.isoDate(p, 'input.joinedOn', input.joinedOn);
  p.throwIfAny();
  const { group, member } = await pair(scope, input.groupId, input.memberId, 'input.');
  if (member.archivedAt) {
    p.add('input.memberId', 'is archived; restore the member first');
    p.throwIfAny();
  }
  const church = await getChurch({ scope, id: group.churchId });
  const m = await scope.db.transaction(async (tx) => {
    const row = await q.upsertMembership(tx, {
      churchId: group.churchId,
      groupId: group.id,
      memberId: member.id,
      role: input.role ?? GroupRole.MEMBER,
      joinedOn: joinedOn ?? v.todayIn(church.timeZone),
    }, Boolean(joinedOn));
    await audit(tx, actorOf(scope.auth), [{
      churchId: group.churchId, entity: 'GroupMembership', entityId: `${group.id}/${member.id}`, action: 'join',
      changes: { groupId: [null, group.id], memberId: [null, member.id], role: [null, row.role], joinedOn: [null, row.joinedOn] },
    }]);
    return row;
  });
  await invalidatePeople(scope.cache, group.churchId, [['Member', member.id], ['Group', group.id]]);
  return { group, member, role: m.role, joinedOn: m.joinedOn };
}

export async function removeGroupMember({ scope, groupId, memberId }: { scope: Scope; groupId: string; memberId: string }) {
  const { group, member } = await pair(scope, groupId, memberId, '');
  const removed = await scope.db.transaction(async (tx) => {
    const gone = await q.deleteMembership(tx, group.id, member.id);
    if (gone) await audit(tx, actorOf(scope.auth), [{ churchId: group.churchId, entity: 'GroupMembership', entityId: `${group.id}/${member.id}`, action: 'leave', changes: { groupId: [group.id, null], memberId: [member.id, null] } }]);
    return gone;
  });
  if (!removed) throw new NotFoundError('GroupMembership', `${group.id}/${member.id}`, 'memberId');
  await invalidatePeople(scope.cache, group.churchId, [['Member', member.id], ['Group', group.id]]);
  return { group, member, role: null, joinedOn: null };
}
