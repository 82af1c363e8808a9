import type { Scope } from '../scope.js';
import { PG, pgError } from '../../db/errors.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId, parseIds } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import { invalidatePeople, invalidateStructure } from '../../cache/invalidate.js';
import { actorOf, audit, changesOf } from '../audit/audit.service.js';
import * as q from './tag.queries.js';
import type { TagRow } from './tag.queries.js';

export const TAG_NAME_MAX = 60;
/** People tagged or untagged in one call. */
export const TAG_BULK_MAX = 5000;
/** A tag's columns an audit entry compares. */
const TAG_FIELDS = ['name', 'archivedAt'] as const;

export async function getTag({ scope, id, field = 'id' }: { scope: Scope; id: string | number; field?: string }): Promise<TagRow> {
  requireViewer(scope.auth);
  const tagId = parseId(id, 'Tag', field);
  const t = await scope.loaders.tag.load(tagId);
  if (!t) throw new NotFoundError('Tag', tagId, field);
  return t;
}

export async function listTags({ scope, churchId, includeArchived }: { scope: Scope; churchId: number; includeArchived: boolean }) {
  requireChurchRole(scope.auth, churchId, 'viewer');
  const all = await scope.loaders.churchTags.load(churchId);
  return includeArchived ? all : all.filter((t) => !t.archivedAt);
}

function uniqueName(e: unknown, name: string): never {
  if (pgError(e)?.code === PG.uniqueViolation && pgError(e)?.constraint === 'tags_church_name_key') {
    throw new BadInputError({ field: 'name', message: `this church already has a tag named "${name}" (archived tags included)` });
  }
  throw e;
}

/** STAFF and up create tags (as they tag people); renaming and archiving are ADMIN's. */
export async function createTag({ scope, churchId, name }: { scope: Scope; churchId: string; name: string }): Promise<TagRow> {
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'staff');
  const p = new Problems();
  const clean = v.text(p, 'name', name, { max: TAG_NAME_MAX, required: true });
  p.throwIfAny();
  if ((await q.countTags(scope.db, church.id)) >= q.TAGS_CAP) {
    throw new BadInputError({ field: 'churchId', message: `a church can have at most ${q.TAGS_CAP} tags (archived ones included)` });
  }
  const row = await scope.db.transaction(async (tx) => {
    const r = await q.insertTag(tx, { churchId: church.id, name: clean! }).catch((e: unknown) => uniqueName(e, clean!));
    await audit(tx, actorOf(scope.auth), [{ churchId: church.id, entity: 'Tag', entityId: r.id, action: 'create', changes: changesOf(null, r, TAG_FIELDS) }]);
    return r;
  });
  scope.loaders.churchTags.clear(church.id);
  return row;
}

export async function renameTag({ scope, id, name }: { scope: Scope; id: string; name: string }): Promise<TagRow> {
  const current = await getTag({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'admin', 'id');
  const p = new Problems();
  const clean = v.text(p, 'name', name, { max: TAG_NAME_MAX, required: true });
  p.throwIfAny();
  const row = await scope.db.transaction(async (tx) => {
    const r = await q.updateTag(tx, current.churchId, current.id, { name: clean! }).catch((e: unknown) => uniqueName(e, clean!));
    if (r) await audit(tx, actorOf(scope.auth), [{ churchId: r.churchId, entity: 'Tag', entityId: r.id, action: 'update', changes: changesOf(current, r, TAG_FIELDS) }]);
    return r;
  });
  if (!row) throw new NotFoundError('Tag', current.id);
  return changed(scope, row);
}

/** Archived: gone from people's pages and pickers, and cannot be given; who had it is kept (and smart lists still see it). */
export async function setTagArchived({ scope, id, archived }: { scope: Scope; id: string; archived: boolean }): Promise<TagRow> {
  const current = await getTag({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'admin', 'id');
  const row = await scope.db.transaction(async (tx) => {
    const r = await q.updateTag(tx, current.churchId, current.id, { archivedAt: archived ? (current.archivedAt ?? scope.clock.now()) : null });
    // archiving an archived tag (or restoring a live one) changed nothing: no entry
    const changes = r ? changesOf(current, r, ['archivedAt']) : {};
    if (r && Object.keys(changes).length) await audit(tx, actorOf(scope.auth), [{ churchId: r.churchId, entity: 'Tag', entityId: r.id, action: archived ? 'archive' : 'restore', changes }]);
    return r;
  });
  if (!row) throw new NotFoundError('Tag', current.id);
  return changed(scope, row);
}

async function changed(scope: Scope, row: TagRow): Promise<TagRow> {
  scope.loaders.tag.clear(row.id).prime(row.id, row);
  scope.loaders.churchTags.clear(row.churchId);
  // pages showing the tag on people, and the lists (a directory filtered by it)
  await invalidateStructure(scope.cache, row.churchId, [['Tag', row.id]]);
  return row;
}

/**
 * Tags (or untags) up to 5,000 people of the tag's church at once, in one statement. Ids of
 * another church answer NOT_FOUND, like ids that do not exist, and nothing changes.
 */
export async function setMembersTagged({ scope, tagId, memberIds, tagged }: { scope: Scope; tagId: string; memberIds: readonly string[]; tagged: boolean }) {
  const tag = await getTag({ scope, id: tagId, field: 'tagId' });
  requireChurchRole(scope.auth, tag.churchId, 'staff', 'tagId');
  if (tagged && tag.archivedAt) throw new BadInputError({ field: 'tagId', message: `"${tag.name}" is archived: restore it first` });
  if (!memberIds.length) throw new BadInputError({ field: 'memberIds', message: 'needs at least one id' });
  const ids = parseIds(memberIds, 'Member', 'memberIds', TAG_BULK_MAX);
  const found = new Set(await q.memberIdsInChurch(scope.db, tag.churchId, ids));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw new NotFoundError('Member', missing, 'memberIds');
  // one entry for the call, listing the people it changed (at most TAG_BULK_MAX ids: the input's cap)
  const changedIds = await scope.db.transaction(async (tx) => {
    const done = tagged ? await q.addTag(tx, tag.churchId, tag.id, ids) : await q.removeTag(tx, tag.churchId, tag.id, ids);
    if (done.length) {
      const list = [...done].sort((x, y) => x - y);
      await audit(tx, actorOf(scope.auth), [{
        churchId: tag.churchId, entity: 'Tag', entityId: tag.id, action: tagged ? 'tag' : 'untag',
        changes: { memberIds: tagged ? [null, list] : [list, null], count: tagged ? [null, list.length] : [list.length, null] },
      }]);
    }
    return done;
  });
  const n = changedIds.length;
  for (const id of ids) scope.loaders.memberTags.clear(id);
  scope.loaders.tagMemberCount.clear(tag.id);
  // smart lists and directory pages by tag: every list of the church (roster); the people themselves when few
  if (n > 0) await invalidatePeople(scope.cache, tag.churchId, ids.length <= 100 ? ids.map((id) => ['Member', id] as ['Member', number]) : []);
  return { tag, changed: n };
}

export async function tagMemberCount({ scope, tag }: { scope: Scope; tag: TagRow }): Promise<number> {
  requireChurchRole(scope.auth, tag.churchId, 'viewer', 'memberCount');
  return scope.loaders.tagMemberCount.load(tag.id);
}

export async function memberTags({ scope, member }: { scope: Scope; member: { id: number; churchId: number } }): Promise<TagRow[]> {
  requireChurchRole(scope.auth, member.churchId, 'viewer', 'tags');
  return scope.loaders.memberTags.load(member.id);
}
