import type { Scope } from '../scope.js';
import type { Queryable } from '../../db/client.js';

/**
 * Runs a change to what users may do (roles, activation, password) in a transaction and ends
 * their sessions so that no session can carry what the change took away:
 * - bumped inside the transaction: sessions that exist now end even if the process dies before
 *   the second bump;
 * - bumped again after the commit: a sign-in that ran between the first bump and the commit read
 *   the new version with the old roles (the change was not visible yet); the second bump makes
 *   that session stale as well. A sign-in reads the version before the roles (auth.service.ts), so
 *   once this returns every live session holds roles at least as new as the change.
 * Each bump also tells every API process (open sockets of the users authenticate again).
 */
export async function withAuthzChange<T>(scope: Scope, work: (tx: Queryable) => Promise<{ result: T; userIds: number[] }>): Promise<T> {
  const { result, userIds } = await scope.db.transaction(async (tx) => {
    const out = await work(tx);
    for (const id of out.userIds) await scope.sessions.revokeUser(id);
    await scope.sessions.seams.beforeCommit?.(out.userIds);
    return out;
  });
  try {
    for (const id of userIds) await scope.sessions.revokeUser(id);
  } catch (e) {
    // committed, and the sessions that existed are already ended: only a sign-in racing this very
    // change may keep its roles until the sockets' recheck or the session's expiry
    scope.log.error({ err: e, userIds }, 'could not end the sessions after an authorization change');
  }
  return result;
}
