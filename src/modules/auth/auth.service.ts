import type { Context } from '../../graphql/context.js';
import { AppError, Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { rolesOf, updateUser, userByEmail, userById, type UserRow } from './auth.queries.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './password.js';
import { withAuthzChange } from './authz-change.js';
import type { SessionData } from './sessions.js';
import { requireViewer } from './viewer.js';

const INVALID = 'Invalid email or password';

/**
 * What a new session records: the authz version first, then the user and roles as committed now.
 * Every change to roles or activation bumps the version after it commits (users.service.ts
 * withAuthzChange), so whatever this reads, either the roles are current or the version is already
 * stale and the session is refused on first use: a session never carries roles older than its
 * version. Null when the account was deactivated or deleted in the meantime, or (checkedHash) when
 * its password changed after the sign-in checked it.
 */
async function openSession(ctx: Context, userId: number, checkedHash?: string): Promise<Omit<SessionData, 'createdAt'> | null> {
  const version = await ctx.sessions.currentVersion(userId);
  await ctx.sessions.seams.betweenReads?.(userId);
  const [user, roles] = await Promise.all([userById(ctx.db, userId), rolesOf(ctx.db, userId)]);
  if (!user || user.deactivatedAt) return null;
  // the password was changed while this sign-in checked the old one
  if (checkedHash !== undefined && user.passwordHash !== checkedHash) return null;
  return { userId: user.id, email: user.email, name: user.name, platformAdmin: user.isPlatformAdmin, roles, version };
}

/**
 * Signs in: rate-limited per email+IP and per IP (counted before the password is checked), a
 * fresh session id on every login (no fixation: any session the browser had is destroyed).
 */
export async function login({ ctx, email, password }: { ctx: Context; email: string; password: string }): Promise<UserRow> {
  const p = new Problems();
  const addr = v.email(p, 'email', email);
  if (addr === null) p.add('email', 'cannot be blank');
  if (typeof password !== 'string' || password.length === 0 || password.length > PASSWORD_MAX) {
    p.add('password', `must be 1-${PASSWORD_MAX} characters`);
  }
  p.throwIfAny();
  await ctx.limiter.attempt(addr!, ctx.http.ip);

  const user = await userByEmail(ctx.db, addr!);
  const ok = await ctx.hasher.verify(user?.passwordHash ?? null, password);
  if (!user || !ok || user.deactivatedAt) throw new AppError('UNAUTHENTICATED', INVALID, { field: 'password' });
  await ctx.limiter.succeeded(addr!, ctx.http.ip);

  const session = await openSession(ctx, user.id, user.passwordHash);
  if (!session) throw new AppError('UNAUTHENTICATED', INVALID, { field: 'password' });
  if (ctx.auth.viewer?.sessionId) await ctx.sessions.destroy(ctx.auth.viewer.sessionId, ctx.auth.viewer.userId);
  const id = await ctx.sessions.create(session);
  ctx.http.setSessionCookie(id);
  ctx.log.info({ userId: user.id }, 'signed in');
  return user;
}

export async function logout({ ctx }: { ctx: Context }): Promise<boolean> {
  const sid = ctx.auth.viewer?.sessionId;
  if (sid) await ctx.sessions.destroy(sid, ctx.auth.viewer!.userId);
  ctx.http.clearSessionCookie();
  return Boolean(sid);
}

export async function me({ ctx }: { ctx: Context }) {
  const viewer = ctx.auth.viewer;
  if (!viewer) {
    if (ctx.auth.authError) throw new AppError('UNAUTHENTICATED', ctx.auth.authError);
    return null;
  }
  const user = await userById(ctx.db, viewer.userId);
  if (!user) throw new AppError('UNAUTHENTICATED', 'This account no longer exists');
  const churchIds = [...viewer.roles.keys()];
  const churches = await ctx.loaders.church.loadMany(churchIds);
  return {
    user,
    authenticatedBy: viewer.via,
    churches: churchIds
      .map((id, i) => ({ church: churches[i], role: viewer.roles.get(id)! }))
      .filter((m) => m.church && !(m.church instanceof Error))
      .sort((a, b) => (a.church as { name: string }).name.localeCompare((b.church as { name: string }).name)),
  };
}

/** Ends every session of the user (all devices) and signs this one in again with a new id. */
export async function changePassword({ ctx, currentPassword, newPassword }: { ctx: Context; currentPassword: string; newPassword: string }) {
  const viewer = requireViewer(ctx.auth);
  const p = new Problems();
  if (newPassword.length < PASSWORD_MIN || newPassword.length > PASSWORD_MAX) {
    p.add('newPassword', `must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters`);
  }
  p.throwIfAny();
  await ctx.limiter.attempt(viewer.email, ctx.http.ip);
  const user = await userById(ctx.db, viewer.userId);
  if (!user || !(await ctx.hasher.verify(user.passwordHash, currentPassword))) {
    throw new AppError('UNAUTHENTICATED', 'The current password is not correct', { field: 'currentPassword' });
  }
  await ctx.limiter.succeeded(viewer.email, ctx.http.ip);
  const passwordHash = await ctx.hasher.hash(newPassword);
  await withAuthzChange(ctx, async (tx) => {
    await updateUser(tx, user.id, { passwordHash, passwordChangedAt: new Date() });
    return { result: null, userIds: [user.id] };
  });
  if (viewer.via === 'session') {
    const session = await openSession(ctx, user.id);
    if (session) ctx.http.setSessionCookie(await ctx.sessions.create(session));
    else ctx.http.clearSessionCookie(); // deactivated meanwhile: no new session
  }
  return true;
}
