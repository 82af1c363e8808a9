import type { ChurchRole } from '../db/schema/index.js';
import { AppError, NotFoundError } from '../lib/errors.js';

/** Who is asking: resolved once per request from the session cookie or a bearer token. */
export interface Viewer {
  userId: number;
  email: string;
  name: string;
  platformAdmin: boolean;
  roles: ReadonlyMap<number, ChurchRole>;
  via: 'session' | 'token';
  sessionId?: string;
  tokenId?: number;
  /**
   * A check-in (door tablet) token: it has no roles at all, so every ordinary field refuses it;
   * only the check-in fields of this one church accept it (requireCheckInAccess).
   */
  checkInChurchId?: number;
}

export const ROLE_RANK: Record<ChurchRole, number> = { viewer: 1, staff: 2, admin: 3, owner: 4 };

export interface AuthState {
  viewer: Viewer | null;
  /** why credentials that were sent were not accepted (expired token, revoked session…) */
  authError?: string;
}

export function requireViewer(auth: AuthState): Viewer {
  if (!auth.viewer) {
    throw new AppError('UNAUTHENTICATED', auth.authError ?? 'Sign in first (login mutation) or send an API token');
  }
  return auth.viewer;
}

/** The caller's own account (me, password): not for a check-in token, which acts for no one. */
export function requireAccountViewer(auth: AuthState): Viewer {
  const viewer = requireViewer(auth);
  if (viewer.checkInChurchId !== undefined) throw new AppError('FORBIDDEN', 'A check-in token can only find people and check them in');
  return viewer;
}

/**
 * The viewer's role in a church, at least `min`. A church the viewer has no role in answers
 * NOT_FOUND, exactly as if it did not exist; a platform admin (who may see every church record
 * but not its people) gets FORBIDDEN.
 */
export function requireChurchRole(auth: AuthState, churchId: number, min: ChurchRole, field = 'churchId'): ChurchRole {
  const viewer = requireViewer(auth);
  const role = viewer.roles.get(churchId);
  if (!role) {
    if (viewer.platformAdmin) throw new AppError('FORBIDDEN', 'Platform admins need a role in a church to see its people', { field });
    throw new NotFoundError('Church', churchId, field);
  }
  if (ROLE_RANK[role] < ROLE_RANK[min]) {
    throw new AppError('FORBIDDEN', `This needs the ${min.toUpperCase()} role or higher in this church`, {
      field,
      required: min.toUpperCase(),
    });
  }
  return role;
}

export function requirePlatformAdmin(auth: AuthState): Viewer {
  const viewer = requireViewer(auth);
  if (!viewer.platformAdmin) throw new AppError('FORBIDDEN', 'This is a platform operation');
  return viewer;
}

/** Churches whose records the viewer may load: their own, or all for a platform admin. */
export function churchScope(viewer: Viewer | null): { ids: number[]; all: boolean } {
  return { ids: viewer ? [...viewer.roles.keys()] : [], all: viewer?.platformAdmin ?? false };
}

/** Churches whose people, households and groups the viewer may load. */
export function dataScope(viewer: Viewer | null): number[] {
  return viewer ? [...viewer.roles.keys()] : [];
}

/**
 * Finding people and checking them in: STAFF or higher in the church, or a check-in token of that
 * church. Anything else answers like requireChurchRole (another church: NOT_FOUND).
 */
export function requireCheckInAccess(auth: AuthState, churchId: number, field = 'churchId'): Viewer {
  const viewer = requireViewer(auth);
  if (viewer.checkInChurchId !== undefined) {
    if (viewer.checkInChurchId !== churchId) throw new NotFoundError('Church', churchId, field);
    return viewer;
  }
  requireChurchRole(auth, churchId, 'staff', field);
  return viewer;
}
