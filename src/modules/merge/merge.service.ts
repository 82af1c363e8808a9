import type { Scope } from '../scope.js';
import { BadInputError, NotFoundError } from '../../lib/errors.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { parseId } from '../../lib/ids.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import { getMember } from '../member/member.service.js';
import * as mq from '../member/member.queries.js';
import type { MemberRow, NewMemberRow } from '../member/member.queries.js';
import { actorOf, audit, changesOf, MEMBER_FIELDS } from '../audit/audit.service.js';
import { invalidatePeople } from '../../cache/invalidate.js';
import * as q from './merge.queries.js';

export interface DuplicatePair {
  a: number;
  b: number;
  reasons: string[];
}

/** A church's likely duplicates, keyset-paged by the pair's ids (STAFF and up: they are the ones who merge). */
export async function listDuplicates({ scope, churchId: c, first: f, after: a }: { scope: Scope; churchId: string; first?: number | null; after?: string | null }) {
  const churchId = parseId(c, 'Church', 'churchId');
  requireChurchRole(scope.auth, churchId, 'staff', 'churchId');
  const first = pageSize(f);
  const after = cursorKeys(a, 'DUP', ['number', 'number']);
  const rows = first === 0 ? [] : await q.duplicatePairs(scope.db, churchId, first + 1, after as [number, number] | undefined);
  const pairs: DuplicatePair[] = rows.map((r) => ({ a: r.a_id, b: r.b_id, reasons: r.reasons.split(',') }));
  return toConnection(pairs, first, after !== undefined, cursorEdge('DUP', (p: DuplicatePair) => [p.a, p.b]), () =>
    Promise.reject(new BadInputError({ field: 'totalCount', message: 'is not counted for duplicates: page through them' })),
  );
}

/**
 * What the kept person takes from the removed one: what they lack (email, phone, birth date,
 * household), the earlier first-visit and joined dates, and an opt-out from texts (the person
 * asked not to be texted under either record).
 */
function fill(keep: MemberRow, remove: MemberRow): Partial<NewMemberRow> {
  const patch: Partial<NewMemberRow> = {};
  if (!keep.email && remove.email) patch.email = remove.email;
  if (!keep.phone && remove.phone) patch.phone = remove.phone;
  if (!keep.birthDate && remove.birthDate) patch.birthDate = remove.birthDate;
  if (!keep.householdId && remove.householdId) {
    patch.householdId = remove.householdId;
    patch.householdRole = remove.householdRole;
  }
  const earlier = (x: string | null, y: string | null) => (x && y ? (x < y ? x : y) : (x ?? y));
  const fv = earlier(keep.firstVisitOn, remove.firstVisitOn);
  if (fv !== keep.firstVisitOn) patch.firstVisitOn = fv;
  const jo = earlier(keep.joinedOn, remove.joinedOn);
  if (jo !== keep.joinedOn) patch.joinedOn = jo;
  if (!keep.smsOptedOutAt && remove.smsOptedOutAt) {
    patch.smsOptedOutAt = remove.smsOptedOutAt;
    patch.smsOptOutVia = remove.smsOptOutVia;
  }
  return patch;
}

function snapshot(m: MemberRow): Record<string, unknown> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}

/**
 * Merges `remove` into `keep` (one church, STAFF and up), in one transaction: every row that
 * pointed at `remove` points at `keep` (merge.queries.ts), `keep` takes what it lacked, `remove`
 * is deleted (its row as it was is kept in member_merges.removed_snapshot), and the audit log
 * records a merge on both.
 */
export async function mergeMembers({ scope, keepId, removeId }: { scope: Scope; keepId: string; removeId: string }) {
  const keep0 = await getMember({ scope, id: keepId, field: 'keepId' });
  const remove0 = await getMember({ scope, id: removeId, field: 'removeId' });
  requireChurchRole(scope.auth, keep0.churchId, 'staff', 'keepId');
  if (remove0.churchId !== keep0.churchId) throw new NotFoundError('Member', remove0.id, 'removeId');
  if (remove0.id === keep0.id) throw new BadInputError({ field: 'removeId', message: 'must be another person than keepId' });
  const churchId = keep0.churchId;
  const viewer = requireViewer(scope.auth);
  const result = await scope.db.transaction(async (tx) => {
    const locked = await q.lockPair(tx, churchId, [Math.min(keep0.id, remove0.id), Math.max(keep0.id, remove0.id)]);
    if (locked.length !== 2) throw new NotFoundError('Member', locked.includes(keep0.id) ? remove0.id : keep0.id, locked.includes(keep0.id) ? 'removeId' : 'keepId');
    // re-read under the lock: what the merge writes is what is there now
    const both = await mq.membersByIds(tx, [keep0.id, remove0.id], [churchId]);
    const keep = both.find((m) => m.id === keep0.id)!;
    const remove = both.find((m) => m.id === remove0.id)!;
    const values = await q.valuesSnapshot(tx, remove.id);
    const groupsBefore = await q.groupIdsOf(tx, remove.id);
    const moved = await q.moveReferences(tx, churchId, keep.id, remove.id);
    await q.deleteMember(tx, churchId, remove.id);
    const patch = fill(keep, remove);
    const kept = Object.keys(patch).length ? (await mq.updateMember(tx, churchId, keep.id, patch))! : keep;
    const merge = await q.insertMerge(tx, {
      churchId,
      keptMemberId: keep.id,
      removedMemberId: remove.id,
      removedSnapshot: { ...snapshot(remove), customValues: values },
      moved: { ...moved },
      mergedBy: viewer.userId,
    });
    const actor = actorOf(scope.auth);
    await audit(tx, actor, [
      { churchId, entity: 'Member', entityId: keep.id, action: 'merge', changes: { ...changesOf(keep, kept, MEMBER_FIELDS), mergedFrom: [null, remove.id] } },
      { churchId, entity: 'Member', entityId: remove.id, action: 'merged-away', changes: { ...changesOf(remove, null, MEMBER_FIELDS), mergedInto: [null, keep.id] } },
      { churchId, entity: 'Merge', entityId: merge.id, action: 'create', changes: { keptMemberId: [null, keep.id], removedMemberId: [null, remove.id], moved: [null, moved] } },
    ]);
    return { merge, kept, groupIds: groupsBefore };
  });
  scope.loaders.member.clear(remove0.id).clear(keep0.id).prime(keep0.id, result.kept);
  scope.loaders.memberValues.clear(keep0.id);
  await invalidatePeople(scope.cache, churchId, [
    ['Member', keep0.id],
    ['Member', remove0.id],
    ...result.groupIds.map((id) => ['Group', id] as [string, number]),
    ...(remove0.householdId ? [['Household', remove0.householdId] as [string, number]] : []),
  ]);
  return { merge: result.merge, member: result.kept };
}

/** The record of a church's merges, newest first (STAFF and up). */
export async function listMerges({ scope, churchId: c, first: f, after: a }: { scope: Scope; churchId: string; first?: number | null; after?: string | null }) {
  const churchId = parseId(c, 'Church', 'churchId');
  requireChurchRole(scope.auth, churchId, 'staff', 'churchId');
  const first = pageSize(f);
  const after = cursorKeys(a, 'MERGE', ['number']);
  const rows = first === 0 ? [] : await q.mergesPage(scope.db, churchId, first + 1, after?.[0]);
  return toConnection(rows, first, after !== undefined, cursorEdge('MERGE', (r: q.MergeRow) => [r.id]), () => q.countMerges(scope.db, churchId));
}
