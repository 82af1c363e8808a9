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
import type { Queryable } from '../../db/client.js';
import { actorOf, audit } from '../audit/audit.service.js';

/**
 * The churches a token acts in, where its creation and revocation are recorded: a CHECK_IN
 * token's church; a FULL token acts with its owner's roles, so every church they hold one in
 * (a platform admin without a church role leaves no entry: the log is per church).
 */
async function tokenChurches(db: Queryable, t: q.ApiTokenRow): Promise<number[]> {
  if (t.churchId != null) return [t.churchId];
  return (await q.rolesOf(db, t.userId)).map(([c]) => c).sort((x, y) => x - y);
}

async function auditToken(db: Queryable, scope: Scope, t: q.ApiTokenRow, action: 'create' | 'revoke', changes: Record<string, [unknown, unknown]>) {
  const churches = await tokenChurches(db, t);
  await audit(db, actorOf(scope.auth), churches.map((churchId) => ({ churchId, entity: 'ApiToken', entityId: t.id, action, changes })));
}

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
  const apiToken = await scope.db.transaction(async (tx) => {
    const t = await q.insertToken(tx, {
      userId: viewer.userId,
      name: name!,
      tokenHash: hashToken(secret),
      prefix: secret.slice(0, TOKEN_PREFIX.length + 6),
      expiresAt: input.expiresAt ?? null,
      kind,
      churchId,
    });
    // never the secret or its hash: the prefix identifies it
    await auditToken(tx, scope, t, 'create', {
      name: [null, t.name], kind: [null, t.kind], prefix: [null, t.prefix], userId: [null, t.userId], expiresAt: [null, t.expiresAt?.toISOString() ?? null],
    });
    return t;
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
  const t = await scope.db.transaction(async (tx) => {
    const before = await q.tokenOf(tx, tokenId, viewer.userId);
    const r = await q.revokeToken(tx, tokenId, viewer.userId);
    // revoking a revoked token changed nothing: no entry
    if (r && before && !before.revokedAt) await auditToken(tx, scope, r, 'revoke', { revokedAt: [null, r.revokedAt?.toISOString() ?? null], name: [r.name, r.name], prefix: [r.prefix, r.prefix] });
    return r;
  });
  if (!t) throw new NotFoundError('ApiToken', tokenId);
  // sockets opened with this token close (every API process re-authenticates that user's sockets)
  // (best effort: the token is already refused on HTTP, and the sockets' periodic recheck follows)
  await scope.sessions.changed(viewer.userId).catch((e) => scope.log.warn({ err: e }, 'could not announce a token revocation'));
  return t;
}
