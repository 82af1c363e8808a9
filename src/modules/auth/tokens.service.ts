import { randomBytes } from 'node:crypto';
import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { AppError, BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import * as q from './auth.queries.js';
import { hashToken, TOKEN_PREFIX } from './authenticate.js';
import { requireChurchRole, requireViewer, ROLE_RANK, type Viewer } from '../viewer.js';
import { ApiTokenKind } from '../../db/schema/enums.js';

export const MAX_LIVE_TOKENS = 50;

/** Tokens are for admins and scripts: ADMIN or OWNER somewhere, or a platform admin. */
function requireTokenManager(scope: Scope): Viewer {
  const viewer = requireViewer(scope.auth);
  const isAdmin = viewer.platformAdmin || [...viewer.roles.values()].some((r) => ROLE_RANK[r] >= ROLE_RANK.admin);
  if (!isAdmin) throw new AppError('FORBIDDEN', 'API tokens need the ADMIN role or higher in a church');
  return viewer;
}

export async function createApiToken({
  scope,
  input,
}: {
  scope: Scope;
  input: { name: string; expiresAt?: Date | null; kind?: ApiTokenKind | null; churchId?: string | null };
}) {
  const viewer = requireTokenManager(scope);
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: true });
  if (input.expiresAt && input.expiresAt.getTime() <= scope.clock.now().getTime()) p.add('input.expiresAt', 'must be in the future');
  const kind = input.kind ?? ApiTokenKind.FULL;
  if (kind === ApiTokenKind.CHECK_IN && (input.churchId === undefined || input.churchId === null)) p.add('input.churchId', 'is required for a CHECK_IN token');
  if (kind === ApiTokenKind.FULL && input.churchId !== undefined && input.churchId !== null) p.add('input.churchId', 'is only for CHECK_IN tokens');
  p.throwIfAny();
  let churchId: number | null = null;
  if (kind === ApiTokenKind.CHECK_IN) {
    churchId = parseId(input.churchId!, 'Church', 'input.churchId');
    // a check-in token is made by an ADMIN of its church (another church: NOT_FOUND)
    requireChurchRole(scope.auth, churchId, 'admin', 'input.churchId');
  }
  if ((await q.countTokens(scope.db, viewer.userId, true)) >= MAX_LIVE_TOKENS) {
    throw new BadInputError({ field: 'input', message: `at most ${MAX_LIVE_TOKENS} live tokens per user; revoke some first` });
  }
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const apiToken = await q.insertToken(scope.db, {
    userId: viewer.userId,
    name: name!,
    tokenHash: hashToken(secret),
    prefix: secret.slice(0, TOKEN_PREFIX.length + 6),
    expiresAt: input.expiresAt ?? null,
    kind,
    churchId,
  });
  return { token: secret, apiToken };
}

export async function listApiTokens({ scope, first: f, after: a }: { scope: Scope; first?: number; after?: string }) {
  const viewer = requireTokenManager(scope);
  const first = pageSize(f);
  const after = cursorKeys(a, 'TOKEN', ['number']);
  const rows = first === 0 ? [] : await q.tokensOf(scope.db, viewer.userId, first + 1, after?.[0]);
  return toConnection(
    rows,
    first,
    after !== undefined,
    cursorEdge('TOKEN', (t: q.ApiTokenRow) => [t.id]),
    () => q.countTokens(scope.db, viewer.userId, false),
  );
}

export async function revokeApiToken({ scope, id }: { scope: Scope; id: string }) {
  const viewer = requireTokenManager(scope);
  const tokenId = parseId(id, 'ApiToken');
  const t = await q.revokeToken(scope.db, tokenId, viewer.userId);
  if (!t) throw new NotFoundError('ApiToken', tokenId);
  // sockets opened with this token close (every API process re-authenticates that user's sockets)
  // (best effort: the token is already refused on HTTP, and the sockets' periodic recheck follows)
  await scope.sessions.changed(viewer.userId).catch((e) => scope.log.warn({ err: e }, 'could not announce a token revocation'));
  return t;
}
