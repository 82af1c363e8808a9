import type { Scope } from '../scope.js';
import { AppError, Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { rolesOf, updateUser, userByEmail, userById, type UserRow } from './auth.queries.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './password.js';
import { withAuthzChange } from './authz-change.js';
import type { SessionData } from './sessions.js';
import type { ChurchRole } from '../../db/schema/enums.js';
import type { ChurchRow } from '../church/church.queries.js';
import { requireAccountViewer, type Viewer } from '../viewer.js';

const INVALID = 'Invalid email or password';

/**
 * What a new session records: the authz version first, then the user and roles as committed now.
 * Every change to roles or activation bumps the version after it commits (users.service.ts
 * withAuthzChange), so whatever this reads, either the roles are current or the version is already
 * stale and the session is refused on first use: a session never carries roles older than its
 * version. Null when the account was deactivated or deleted in the meantime, or (checkedHash) when
 * its password changed after the sign-in checked it.
 */
async function openSession(scope: Scope, userId: number, checkedHash?: string): Promise<Omit<SessionData, 'createdAt'> | null> {
  const version = await scope.sessions.currentVersion(userId);
  await scope.sessions.seams.betweenReads?.(userId);
  const [user, roles] = await Promise.all([userById(scope.db, userId), rolesOf(scope.db, userId)]);
  if (!user || user.deactivatedAt) return null;
  // the password was changed while this sign-in checked the old one
  if (checkedHash !== undefined && user.passwordHash !== checkedHash) return null;
  return { userId: user.id, email: user.email, name: user.name, platformAdmin: user.isPlatformAdmin, roles, version };
}

/**
 * Signs in: rate-limited per email+IP and per IP (counted before the password is checked), a
 * fresh session id on every login (no fixation: any session the browser had is destroyed).
 */
/** What became of the caller's session: a new one to hand to the browser, or none any more. */
export type SessionOutcome = { sessionId: string } | { sessionId: null };

export async function login({ scope, email, password }: { scope: Scope; email: string; password: string }): Promise<{ user: UserRow; session: SessionOutcome }> {
  const p = new Problems();
  const addr = v.email(p, 'email', email);
  if (addr === null) p.add('email', 'cannot be blank');
  if (typeof password !== 'string' || password.length === 0 || password.length > PASSWORD_MAX) {
    p.add('password', `must be 1-${PASSWORD_MAX} characters`);
  }
  p.throwIfAny();
  await scope.limiter.attempt(addr!, scope.ip);

  const user = await userByEmail(scope.db, addr!);
  const ok = await scope.hasher.verify(user?.passwordHash ?? null, password);
  if (!user || !ok || user.deactivatedAt) throw new AppError('UNAUTHENTICATED', INVALID, { field: 'password' });
  await scope.limiter.succeeded(addr!, scope.ip);

  const session = await openSession(scope, user.id, user.passwordHash);
  if (!session) throw new AppError('UNAUTHENTICATED', INVALID, { field: 'password' });
  if (scope.auth.viewer?.sessionId) await scope.sessions.destroy(scope.auth.viewer.sessionId, scope.auth.viewer.userId);
  const id = await scope.sessions.create(session);
  scope.log.info({ userId: user.id }, 'signed in');
  return { user, session: { sessionId: id } };
}

/** Ends this session; the caller clears the cookie whatever it held. */
export async function logout({ scope }: { scope: Scope }): Promise<boolean> {
  const sid = scope.auth.viewer?.sessionId;
  if (sid) await scope.sessions.destroy(sid, scope.auth.viewer!.userId);
  return Boolean(sid);
}

export async function me({ scope }: { scope: Scope }) {
  const viewer = scope.auth.viewer;
  if (!viewer) {
    if (scope.auth.authError) throw new AppError('UNAUTHENTICATED', scope.auth.authError);
    return null;
  }
  requireAccountViewer(scope.auth);
  return {
    user: viewerUser(scope, viewer),
    authenticatedBy: viewer.via,
    // read only when the selection asks for it (a getter: plain fields are not resolved)
    get churches() {
      return myChurches(scope, viewer);
    },
  };
}

/**
 * The signed-in user: what the session vouches for (its id and platform flag: a deactivation or a
 * change of roles ends the session) without a statement; the rest from the users table, in one
 * statement, only when the selection asks for it (promise-valued getters, User's non-simple fields).
 */
function viewerUser(scope: Scope, viewer: Viewer) {
  let row: Promise<UserRow> | undefined;
  const load = () =>
    (row ??= userById(scope.db, viewer.userId).then((u) => {
      if (!u) throw new AppError('UNAUTHENTICATED', 'This account no longer exists');
      return u;
    }));
  return {
    id: viewer.userId,
    isPlatformAdmin: viewer.platformAdmin,
    get email() {
      return load().then((u) => u.email);
    },
    get name() {
      return load().then((u) => u.name);
    },
    get deactivatedAt() {
      return load().then((u) => u.deactivatedAt);
    },
    get createdAt() {
      return load().then((u) => u.createdAt);
    },
  };
}

/** The viewer's churches with their roles, by name (one batched load). */
async function myChurches(scope: Scope, viewer: Viewer) {
  const churchIds = [...viewer.roles.keys()];
  const churches = await scope.loaders.church.loadMany(churchIds);
  const out: Array<{ church: ChurchRow; role: ChurchRole }> = [];
  churchIds.forEach((id, i) => {
    const church = churches[i];
    if (church && !(church instanceof Error)) out.push({ church, role: viewer.roles.get(id)! });
  });
  return out.sort((a, b) => a.church.name.localeCompare(b.church.name));
}

/**
 * Ends every session of the user (all devices) and signs this one in again with a new id. The
 * session outcome is null for a bearer token (no cookie involved).
 */
export async function changePassword({ scope, currentPassword, newPassword }: { scope: Scope; currentPassword: string; newPassword: string }): Promise<SessionOutcome | null> {
  const viewer = requireAccountViewer(scope.auth);
  const p = new Problems();
  if (newPassword.length < PASSWORD_MIN || newPassword.length > PASSWORD_MAX) {
    p.add('newPassword', `must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters`);
  }
  p.throwIfAny();
  await scope.limiter.attempt(viewer.email, scope.ip);
  const user = await userById(scope.db, viewer.userId);
  if (!user || !(await scope.hasher.verify(user.passwordHash, currentPassword))) {
    throw new AppError('UNAUTHENTICATED', 'The current password is not correct', { field: 'currentPassword' });
  }
  await scope.limiter.succeeded(viewer.email, scope.ip);
  const passwordHash = await scope.hasher.hash(newPassword);
  await withAuthzChange(scope, async (tx) => {
    await updateUser(tx, user.id, { passwordHash, passwordChangedAt: scope.clock.now() });
    return { result: null, userIds: [user.id] };
  });
  if (viewer.via !== 'session') return null;
  const session = await openSession(scope, user.id);
  // deactivated meanwhile: no new session
  return { sessionId: session ? await scope.sessions.create(session) : null };
}
