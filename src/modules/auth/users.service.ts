import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { ChurchRole } from '../../db/schema/enums.js';
import { PG, pgError } from '../../db/errors.js';
import type { Queryable } from '../../db/client.js';
import { AppError, BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import * as q from './auth.queries.js';
import { withAuthzChange } from './authz-change.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './password.js';
import { requirePlatformAdmin, requireViewer, ROLE_RANK } from '../viewer.js';
import { actorOf, audit, changesOf } from '../audit/audit.service.js';

/** Whether the email is taken elsewhere or not, a church admin cannot tell from this. */
const CANNOT_ADD = 'cannot be added as a new account here; if this person already uses Steeple, ask a platform admin to add them';

/** User management in a church: its ADMINs and OWNERs, or a platform admin. */
function requireUserAdmin(scope: Scope, churchId: number): void {
  const viewer = requireViewer(scope.auth);
  if (viewer.platformAdmin) return;
  const role = viewer.roles.get(churchId);
  if (!role) throw new NotFoundError('Church', churchId, 'churchId');
  if (ROLE_RANK[role] < ROLE_RANK.admin) throw new AppError('FORBIDDEN', 'Managing users needs the ADMIN role or higher');
}

/** Granting or taking away OWNER needs an OWNER (or a platform admin). */
function requireOwnerFor(scope: Scope, churchId: number, ...roles: Array<string | undefined>): void {
  const viewer = requireViewer(scope.auth);
  if (!roles.includes(ChurchRole.OWNER) || viewer.platformAdmin) return;
  if (viewer.roles.get(churchId) !== 'owner') throw new AppError('FORBIDDEN', 'Only an OWNER can grant or remove the OWNER role');
}

async function churchIdOf(scope: Scope, id: string, field = 'churchId'): Promise<number> {
  // platform admins see every church record; others only their own (NOT_FOUND otherwise)
  return (await getChurch({ scope, id, field })).id;
}

export async function listChurchUsers({ scope, churchId, first: f, after: a }: { scope: Scope; churchId: string; first?: number; after?: string }) {
  const id = await churchIdOf(scope, churchId);
  requireUserAdmin(scope, id);
  const first = pageSize(f);
  const after = cursorKeys(a, 'USER', ['string']);
  const rows = first === 0 ? [] : await q.pageChurchUsers(scope.db, id, first + 1, after?.[0]);
  return toConnection(
    rows,
    first,
    after !== undefined,
    cursorEdge('USER', (r: q.ChurchUserRow) => [r.user.email]),
    () => q.countChurchUsers(scope.db, id),
  );
}

export async function addChurchUser({
  scope,
  input,
}: {
  scope: Scope;
  input: { churchId: string; email: string; name?: string | null; password?: string | null; role: ChurchRole };
}) {
  const churchId = await churchIdOf(scope, input.churchId, 'input.churchId');
  requireUserAdmin(scope, churchId);
  requireOwnerFor(scope, churchId, input.role);
  const p = new Problems();
  const email = v.email(p, 'input.email', input.email);
  if (!email) p.add('input.email', 'is required');
  p.throwIfAny();

  const platformAdmin = requireViewer(scope.auth).platformAdmin;
  return withAuthzChange(scope, async (tx) => {
    let user = await q.userByEmail(tx, email!);
    if (user && (await q.roleIn(tx, user.id, churchId))) {
      // this church's own users are no secret to its admins
      throw new BadInputError({ field: 'input.email', message: 'already has a role in this church; use setChurchUserRole' });
    }
    if (!user || !platformAdmin) {
      // A church admin gets the same answers whether or not the email has an account in another
      // church: name and password are always required, and the hash is always computed.
      const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.personName, required: true });
      const pw = input.password ?? '';
      if (pw.length < PASSWORD_MIN || pw.length > PASSWORD_MAX) p.add('input.password', `must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters for a new account`);
      p.throwIfAny();
      const passwordHash = await scope.hasher.hash(pw);
      if (user) {
        // The account serves another church. Attaching it would show this church its details, end
        // its sessions and grant a role without its consent: operators (platform admins) do that.
        throw new BadInputError({ field: 'input.email', message: CANNOT_ADD });
      }
      try {
        user = await q.insertUser(tx, { email: email!, name: name!, passwordHash });
      } catch (e) {
        // registered meanwhile (elsewhere, or by a concurrent call): the same answer as above
        if (pgError(e)?.code === PG.uniqueViolation) {
          throw new BadInputError({ field: 'input.email', message: platformAdmin ? 'was just registered; try again' : CANNOT_ADD });
        }
        throw e;
      }
    }
    await q.setRole(tx, user.id, churchId, input.role);
    await audit(tx, actorOf(scope.auth), [{ churchId, entity: 'ChurchRole', entityId: user.id, action: 'create', changes: { role: [null, input.role] } }]);
    // their sessions carry their roles: sign in again to get this one
    return { result: { user, role: input.role }, userIds: [user.id] };
  });
}

/**
 * Changes a user's role in a church inside a transaction that holds the church's owners locked,
 * so two concurrent changes cannot both remove the last OWNER. Their sessions end at once.
 */
async function changeRole<T>(
  scope: Scope,
  cid: string,
  uid: string,
  apply: (a: { tx: Queryable; churchId: number; userId: number; current: ChurchRole; owners: number[] }) => Promise<T>,
): Promise<T> {
  const churchId = await churchIdOf(scope, cid);
  requireUserAdmin(scope, churchId);
  const userId = parseId(uid, 'User', 'userId');
  return withAuthzChange(scope, async (tx) => {
    const owners = await q.lockOwners(tx, churchId);
    const current = await q.roleIn(tx, userId, churchId);
    if (!current) throw new NotFoundError('User', userId, 'userId');
    return { result: await apply({ tx, churchId, userId, current, owners }), userIds: [userId] };
  });
}

export function setChurchUserRole({ scope, churchId, userId, role }: { scope: Scope; churchId: string; userId: string; role: ChurchRole }) {
  return changeRole(scope, churchId, userId, async ({ tx, churchId: cId, userId: uId, current, owners }) => {
    requireOwnerFor(scope, cId, role, current);
    if (current === 'owner' && role !== ChurchRole.OWNER && owners.length <= 1) {
      throw new BadInputError({ field: 'role', message: 'a church needs at least one OWNER; make someone else OWNER first' });
    }
    await q.setRole(tx, uId, cId, role);
    await audit(tx, actorOf(scope.auth), [{ churchId: cId, entity: 'ChurchRole', entityId: uId, action: 'update', changes: { role: [current, role] } }]);
    const user = await q.userById(tx, uId);
    return { user: user!, role };
  });
}

export function removeChurchUser({ scope, churchId, userId }: { scope: Scope; churchId: string; userId: string }) {
  return changeRole(scope, churchId, userId, async ({ tx, churchId: cId, userId: uId, current, owners }) => {
    requireOwnerFor(scope, cId, current);
    if (current === 'owner' && owners.length <= 1) {
      throw new BadInputError({ field: 'userId', message: 'cannot remove the last OWNER of a church' });
    }
    await q.deleteRole(tx, uId, cId);
    await audit(tx, actorOf(scope.auth), [{ churchId: cId, entity: 'ChurchRole', entityId: uId, action: 'delete', changes: { role: [current, null] } }]);
    return true;
  });
}

/** Platform operation: a deactivated user cannot sign in; their sessions and tokens stop at once. */
export async function setUserActive({ scope, userId: uid, active }: { scope: Scope; userId: string; active: boolean }) {
  const viewer = requirePlatformAdmin(scope.auth);
  const userId = parseId(uid, 'User', 'userId');
  if (!active && userId === viewer.userId) throw new BadInputError({ field: 'userId', message: 'you cannot deactivate yourself' });
  return withAuthzChange(scope, async (tx) => {
    const before = await q.userById(tx, userId);
    if (!before) throw new NotFoundError('User', userId, 'userId');
    // deactivating a deactivated user keeps the first date
    const user = await q.updateUser(tx, userId, { deactivatedAt: active ? null : (before.deactivatedAt ?? scope.clock.now()) });
    if (!user) throw new NotFoundError('User', userId, 'userId');
    // recorded in every church the user has a role in (the log is per church); no change, no entry
    if (Boolean(before.deactivatedAt) !== Boolean(user.deactivatedAt)) {
      const churches = (await q.rolesOf(tx, userId)).map(([c]) => c).sort((x, y) => x - y);
      const changes = changesOf(before, user, ['deactivatedAt']);
      await audit(tx, actorOf(scope.auth), churches.map((churchId) => ({ churchId, entity: 'User', entityId: userId, action: active ? 'reactivate' : 'deactivate', changes })));
    }
    return { result: user, userIds: [userId] };
  });
}
