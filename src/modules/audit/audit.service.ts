import type { Queryable } from '../../db/client.js';
import type { Scope } from '../scope.js';
import { BadInputError, Problems } from '../../lib/errors.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { parseId } from '../../lib/ids.js';
import { requireChurchRole, type AuthState } from '../viewer.js';
import * as q from './audit.queries.js';

/** Who made a change: the viewer (and the token used), or a label for the system. */
export interface Actor {
  userId: number | null;
  tokenId: number | null;
  label: string | null;
}

export function actorOf(auth: AuthState, label: string | null = null): Actor {
  const v = auth.viewer;
  return { userId: v?.userId ?? null, tokenId: v?.tokenId ?? null, label: v ? null : (label ?? 'system') };
}

export interface AuditEntry {
  churchId: number;
  entity: string;
  entityId: number | string;
  action: string;
  changes?: Record<string, [unknown, unknown]> | null;
}

/** JSON-safe value of a column: dates as ISO text. */
function plain(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

/**
 * The fields that differ between before and after, as { field: [before, after] }. Only `fields`
 * are compared (derived columns such as search_text and updated_at are not a change).
 */
export function changesOf<T extends Record<string, unknown>>(before: Partial<T> | null, after: Partial<T> | null, fields: readonly (keyof T & string)[]): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const f of fields) {
    const b = plain(before?.[f] ?? null);
    const a = plain(after?.[f] ?? null);
    if (JSON.stringify(b) !== JSON.stringify(a)) out[f] = [b, a];
  }
  return out;
}

/** The person's own columns an audit row compares. */
export const MEMBER_FIELDS = [
  'firstName', 'lastName', 'email', 'phone', 'status', 'firstVisitOn', 'joinedOn', 'inactivatedOn', 'birthDate',
  'householdId', 'householdRole', 'smsOptedOutAt', 'smsOptOutVia', 'archivedAt',
] as const;

/**
 * Writes the audit rows of a change in the change's own transaction (`db` is it): one INSERT.
 * An update that changed nothing writes nothing.
 */
export async function audit(db: Queryable, actor: Actor, entries: AuditEntry[]): Promise<void> {
  const rows = entries
    .filter((e) => e.action !== 'update' || (e.changes && Object.keys(e.changes).length > 0))
    .map((e) => ({
      churchId: e.churchId,
      actorUserId: actor.userId,
      actorTokenId: actor.tokenId,
      actorLabel: actor.label,
      entity: e.entity,
      entityId: String(e.entityId),
      action: e.action,
      changes: e.changes ?? null,
    }));
  await q.insertAudit(db, rows);
}

export interface AuditFilterInput {
  entity?: string | null;
  entityId?: string | null;
  actorUserId?: string | null;
  action?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** totalCount stops counting here */
export const AUDIT_COUNT_CAP = 10_000;

const NAME = /^[A-Za-z][A-Za-z_.:-]{0,59}$/;

/** A church's audit log, newest first: ADMIN and up. */
export async function listAudit({ scope, churchId: churchArg, filter, first: f, after: a }: { scope: Scope; churchId: string; filter?: AuditFilterInput | null; first?: number | null; after?: string | null }) {
  const churchId = parseId(churchArg, 'Church', 'churchId');
  requireChurchRole(scope.auth, churchId, 'admin', 'churchId');
  const first = pageSize(f);
  const p = new Problems();
  const x = filter ?? {};
  const out: q.AuditFilter = {};
  if (x.entity != null) {
    if (!NAME.test(x.entity)) p.add('filter.entity', 'must be an entity name such as Member, Household, Group');
    else out.entity = x.entity;
  }
  if (x.action != null) {
    if (!NAME.test(x.action)) p.add('filter.action', 'must be an action name such as create, update, merge');
    else out.action = x.action;
  }
  if (x.entityId != null) {
    if (x.entityId.length === 0 || x.entityId.length > 40) p.add('filter.entityId', 'must be 1 to 40 characters');
    else out.entityId = x.entityId;
  }
  if (x.actorUserId != null) out.actorUserId = parseId(x.actorUserId, 'User', 'filter.actorUserId');
  if (x.from) out.from = x.from;
  if (x.to) out.to = x.to;
  if (x.from && x.to && x.from >= x.to) p.add('filter.to', 'must be after filter.from');
  p.throwIfAny();
  const after = cursorKeys(a, 'AUDIT', ['number']);
  if (after && after[0] < 1) throw new BadInputError({ field: 'after', message: 'is not a valid cursor for this list' });
  const rows = first === 0 ? [] : await q.pageAudit(scope.db, churchId, out, first + 1, after?.[0]);
  return toConnection(rows, first, after !== undefined, cursorEdge('AUDIT', (r: q.AuditRow) => [r.id]), () => q.countAudit(scope.db, churchId, out, AUDIT_COUNT_CAP));
}
