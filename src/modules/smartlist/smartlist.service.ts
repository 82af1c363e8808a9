import type { Scope } from '../scope.js';
import { PG, pgError } from '../../db/errors.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import { invalidateStructure } from '../../cache/invalidate.js';
import { countOneChurch, type ExtraWhere } from '../member/member.queries.js';
import { listMembers } from '../member/member.service.js';
import type { MembersPageArgs } from '../member/member.input.js';
import { ruleSql } from './rules.queries.js';
import { resolveRules, type RulesInput } from './rules.service.js';
import { actorOf, audit, changesOf } from '../audit/audit.service.js';
import * as q from './smartlist.queries.js';
import type { SmartListRow } from './smartlist.queries.js';

export const LIST_LIMITS = { name: 80, description: 500 } as const;
/** A saved list's columns an audit entry compares. */
const LIST_AUDIT = ['name', 'description', 'rules'] as const;

export async function getSmartList({ scope, id, field = 'id' }: { scope: Scope; id: string | number; field?: string }): Promise<SmartListRow> {
  requireViewer(scope.auth);
  const listId = parseId(id, 'SmartList', field);
  const l = await scope.loaders.smartList.load(listId);
  if (!l) throw new NotFoundError('SmartList', listId, field);
  return l;
}

export async function listSmartLists({ scope, churchId, first: f, after: a }: { scope: Scope; churchId: number; first?: number; after?: string | null }) {
  requireChurchRole(scope.auth, churchId, 'viewer');
  const first = pageSize(f);
  const after = cursorKeys(a, 'SMART_LIST', ['string', 'number']);
  const rows = first === 0 ? [] : await q.pageLists(scope.db, churchId, first + 1, after);
  for (const l of rows) scope.loaders.smartList.prime(l.id, l);
  return toConnection(rows, first, after !== undefined, cursorEdge('SMART_LIST', (l: SmartListRow) => [l.name.toLowerCase(), l.id]), () => q.countLists(scope.db, churchId));
}

function uniqueName(e: unknown, name: string): never {
  if (pgError(e)?.code === PG.uniqueViolation && pgError(e)?.constraint === 'smart_lists_church_name_key') {
    throw new BadInputError({ field: 'input.name', message: `this church already has a list named "${name}"` });
  }
  throw e;
}

/** STAFF and up save lists; anyone who reads the church reads them. */
export async function createSmartList({ scope, input }: { scope: Scope; input: { churchId: string; name: string; description?: string | null; rules: RulesInput } }) {
  const church = await getChurch({ scope, id: input.churchId, field: 'input.churchId' });
  requireChurchRole(scope.auth, church.id, 'staff', 'input.churchId');
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: LIST_LIMITS.name, required: true });
  const description = v.text(p, 'input.description', input.description, { max: LIST_LIMITS.description });
  p.throwIfAny();
  const { normalized } = await resolveRules(scope, church.id, church.timeZone, input.rules, { path: 'input.rules', strict: true });
  if ((await q.countLists(scope.db, church.id)) >= q.LISTS_CAP) throw new BadInputError({ field: 'input.churchId', message: `a church can have at most ${q.LISTS_CAP} smart lists` });
  const viewer = requireViewer(scope.auth);
  return scope.db.transaction(async (tx) => {
    const row = await q
      .insertList(tx, { churchId: church.id, name: name!, description: description ?? null, rules: normalized, createdBy: viewer.userId })
      .catch((e: unknown) => uniqueName(e, name!));
    await audit(tx, actorOf(scope.auth), [{ churchId: church.id, entity: 'SmartList', entityId: row.id, action: 'create', changes: changesOf(null, row, LIST_AUDIT) }]);
    return row;
  });
}

export async function updateSmartList({ scope, id, input }: { scope: Scope; id: string; input: { name?: string; description?: string | null; rules?: RulesInput | null } }) {
  const current = await getSmartList({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'staff', 'id');
  const church = await getChurch({ scope, id: current.churchId });
  const p = new Problems();
  const name = input.name === undefined ? undefined : v.text(p, 'input.name', input.name, { max: LIST_LIMITS.name, required: true });
  const description = v.text(p, 'input.description', input.description, { max: LIST_LIMITS.description });
  if (input.rules === null) p.add('input.rules', 'cannot be null');
  p.throwIfAny();
  const patch: Partial<q.NewSmartListRow> = {};
  if (name) patch.name = name;
  if (description !== undefined) patch.description = description;
  if (input.rules) patch.rules = (await resolveRules(scope, church.id, church.timeZone, input.rules, { path: 'input.rules', strict: true })).normalized;
  const row = await scope.db.transaction(async (tx) => {
    const r = await q.updateList(tx, current.churchId, current.id, patch).catch((e: unknown) => uniqueName(e, name ?? current.name));
    if (r) await audit(tx, actorOf(scope.auth), [{ churchId: r.churchId, entity: 'SmartList', entityId: r.id, action: 'update', changes: changesOf(current, r, LIST_AUDIT) }]);
    return r;
  });
  if (!row) throw new NotFoundError('SmartList', current.id);
  scope.loaders.smartList.clear(row.id).prime(row.id, row);
  // cached pages of this list carry its entity tag
  await invalidateStructure(scope.cache, row.churchId, [['SmartList', row.id]]);
  return row;
}

export async function deleteSmartList({ scope, id }: { scope: Scope; id: string }): Promise<number> {
  const current = await getSmartList({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'staff', 'id');
  await scope.db.transaction(async (tx) => {
    const gone = await q.deleteList(tx, current.churchId, current.id);
    if (gone) await audit(tx, actorOf(scope.auth), [{ churchId: current.churchId, entity: 'SmartList', entityId: current.id, action: 'delete', changes: changesOf(current, null, LIST_AUDIT) }]);
  });
  scope.loaders.smartList.clear(current.id);
  await invalidateStructure(scope.cache, current.churchId, [['SmartList', current.id]]);
  return current.id;
}

/**
 * A list's rules compiled for its church as of now (ages, "last N days" and lapsed windows move
 * with the clock). Saved rules are read leniently: a group deleted since matches nobody.
 */
export function smartListWhere(scope: Scope, list: SmartListRow): Promise<ExtraWhere> {
  // once per request and list version: a list's memberCount and members both need it, and its
  // rules may read the church's fields, tags or groups
  let memo = compiled.get(scope);
  if (!memo) compiled.set(scope, (memo = new Map()));
  const key = `${list.id}:${list.updatedAt.getTime()}`;
  let where = memo.get(key);
  if (!where) {
    where = compileWhere(scope, list);
    memo.set(key, where);
    // a failure is not kept: the request's other field tries again and reports its own error
    where.catch(() => memo!.delete(key));
  }
  return where;
}

const compiled = new WeakMap<Scope, Map<string, Promise<ExtraWhere>>>();

async function compileWhere(scope: Scope, list: SmartListRow): Promise<ExtraWhere> {
  const church = await getChurch({ scope, id: list.churchId });
  const { tree } = await resolveRules(scope, list.churchId, church.timeZone, list.rules as RulesInput, { path: 'rules', strict: false });
  return { key: `list:${list.id}:${list.updatedAt.getTime()}`, sql: ruleSql(tree) };
}

/** A list's people: the directory page (same filters, orderings and keyset cursors) narrowed by its rules. */
export async function listSmartListMembers({ scope, list, args }: { scope: Scope; list: SmartListRow; args: MembersPageArgs }) {
  requireChurchRole(scope.auth, list.churchId, 'viewer');
  return listMembers({ scope, church: { id: list.churchId }, args, where: await smartListWhere(scope, list) });
}

/** How many people the list holds now (one COUNT over the church's non-archived members). */
export async function smartListCount({ scope, list }: { scope: Scope; list: SmartListRow }): Promise<number> {
  requireChurchRole(scope.auth, list.churchId, 'viewer', 'memberCount');
  return countOneChurch(scope.db, list.churchId, { archived: false }, await smartListWhere(scope, list));
}
