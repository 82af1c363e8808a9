import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { apiTokens, churchRoles, users, type ChurchRole } from '../../db/schema/index.js';
import { insertedRow } from '../../db/sql.js';

export type UserRow = typeof users.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type RoleList = Array<[churchId: number, role: ChurchRole]>;

export async function userByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const [u] = await db.select().from(users).where(eq(users.email, email));
  return u;
}

export async function userById(db: Queryable, id: number): Promise<UserRow | undefined> {
  const [u] = await db.select().from(users).where(eq(users.id, id));
  return u;
}

export async function rolesOf(db: Queryable, userId: number): Promise<RoleList> {
  const rows = await db
    .select({ churchId: churchRoles.churchId, role: churchRoles.role })
    .from(churchRoles)
    .where(eq(churchRoles.userId, userId));
  return rows.map((r) => [r.churchId, r.role]);
}

export interface TokenPrincipal {
  token: ApiTokenRow;
  user: UserRow;
  roles: RoleList;
}

/** A live token with its user and roles, in one statement (api_tokens_hash_key, church_roles_pkey). */
export async function tokenPrincipal(db: Queryable, tokenHash: string): Promise<TokenPrincipal | undefined> {
  // the token's hash and the user's password hash are not read: the caller has the one, and the other
  // has no business in a request's principal
  const [r] = await db
    .select({
      token: {
        id: apiTokens.id,
        userId: apiTokens.userId,
        name: apiTokens.name,
        prefix: apiTokens.prefix,
        kind: apiTokens.kind,
        churchId: apiTokens.churchId,
        expiresAt: apiTokens.expiresAt,
        lastUsedAt: apiTokens.lastUsedAt,
        revokedAt: apiTokens.revokedAt,
        createdAt: apiTokens.createdAt,
      },
      user: {
        email: users.email,
        name: users.name,
        isPlatformAdmin: users.isPlatformAdmin,
        deactivatedAt: users.deactivatedAt,
        passwordChangedAt: users.passwordChangedAt,
        createdAt: users.createdAt,
        updatedAt: users.updatedAt,
      },
      // json: postgres.js parses it (text only if that parser were missing)
      roles: sql<RoleList | string>`coalesce((SELECT json_agg(json_build_array(r.church_id, r.role)) FROM church_roles r WHERE r.user_id = ${users.id}), '[]')`,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(
      and(
        eq(apiTokens.tokenHash, tokenHash),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)),
        isNull(users.deactivatedAt),
      ),
    );
  if (!r) return undefined;
  const { token: t, user: u } = r;
  return {
    token: {
      id: t.id,
      userId: t.userId,
      name: t.name,
      tokenHash,
      prefix: t.prefix,
      kind: t.kind,
      churchId: t.churchId,
      expiresAt: t.expiresAt,
      lastUsedAt: t.lastUsedAt,
      revokedAt: t.revokedAt,
      createdAt: t.createdAt,
    },
    user: {
      id: t.userId,
      email: u.email,
      name: u.name,
      passwordHash: '',
      isPlatformAdmin: u.isPlatformAdmin,
      deactivatedAt: u.deactivatedAt,
      passwordChangedAt: u.passwordChangedAt,
      createdAt: u.createdAt,
      updatedAt: u.updatedAt,
    },
    // JSON.parse returns any: the shape is the json_build_array above
    roles: typeof r.roles === 'string' ? (JSON.parse(r.roles) as RoleList) : r.roles,
  };
}

/** Records use at most once a minute per token: a script polling every second costs no write storm. */
export async function touchToken(db: Queryable, id: number): Promise<void> {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), sql`(${apiTokens.lastUsedAt} IS NULL OR ${apiTokens.lastUsedAt} < now() - interval '1 minute')`));
}

export async function insertUser(
  db: Queryable,
  row: { email: string; name: string; passwordHash: string; isPlatformAdmin?: boolean },
): Promise<UserRow> {
  return insertedRow(await db.insert(users).values(row).returning());
}

export async function updateUser(db: Queryable, id: number, patch: Partial<typeof users.$inferInsert>): Promise<UserRow | undefined> {
  const [u] = await db
    .update(users)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(users.id, id))
    .returning();
  return u;
}

export async function roleIn(db: Queryable, userId: number, churchId: number): Promise<ChurchRole | undefined> {
  const [r] = await db
    .select({ role: churchRoles.role })
    .from(churchRoles)
    .where(and(eq(churchRoles.userId, userId), eq(churchRoles.churchId, churchId)));
  return r?.role;
}

export async function setRole(db: Queryable, userId: number, churchId: number, role: ChurchRole): Promise<void> {
  await db
    .insert(churchRoles)
    .values({ userId, churchId, role })
    .onConflictDoUpdate({ target: [churchRoles.userId, churchRoles.churchId], set: { role } });
}

export async function deleteRole(db: Queryable, userId: number, churchId: number): Promise<boolean> {
  const rows = await db
    .delete(churchRoles)
    .where(and(eq(churchRoles.userId, userId), eq(churchRoles.churchId, churchId)))
    .returning({ userId: churchRoles.userId });
  return rows.length > 0;
}

/** Owners of a church, locked: two concurrent demotions cannot both pass the "last owner" check. */
export async function lockOwners(db: Queryable, churchId: number): Promise<number[]> {
  const rows = await db.execute<{ user_id: number }>(sql`
    SELECT user_id FROM church_roles WHERE church_id = ${churchId} AND role = 'owner' FOR UPDATE`);
  return rows.map((r) => r.user_id);
}

export interface ChurchUserRow {
  user: UserRow;
  role: ChurchRole;
}

/** churchUsers(churchId): staff of a church by email (church_roles_church_idx). */
export async function pageChurchUsers(
  db: Queryable,
  churchId: number,
  limit: number,
  afterEmail?: string,
): Promise<ChurchUserRow[]> {
  const rows = await db
    .select({ user: users, role: churchRoles.role })
    .from(churchRoles)
    .innerJoin(users, eq(users.id, churchRoles.userId))
    .where(and(eq(churchRoles.churchId, churchId), afterEmail ? sql`${users.email} > ${afterEmail}` : undefined))
    .orderBy(users.email)
    .limit(limit);
  return rows;
}

export async function countChurchUsers(db: Queryable, churchId: number): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(churchRoles).where(eq(churchRoles.churchId, churchId));
  return r?.n ?? 0;
}

export async function insertToken(
  db: Queryable,
  row: { userId: number; name: string; tokenHash: string; prefix: string; expiresAt: Date | null; kind?: 'full' | 'check_in'; churchId?: number | null },
): Promise<ApiTokenRow> {
  return insertedRow(await db.insert(apiTokens).values(row).returning());
}

/** A user's tokens, newest first (api_tokens_user_idx). */
export async function tokensOf(db: Queryable, userId: number, limit: number, beforeId?: number): Promise<ApiTokenRow[]> {
  return db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), beforeId ? lt(apiTokens.id, beforeId) : undefined))
    .orderBy(desc(apiTokens.id))
    .limit(limit);
}

/** One of the user's tokens (api_tokens_pkey), locked until the transaction ends. */
export async function tokenOf(db: Queryable, id: number, userId: number): Promise<ApiTokenRow | undefined> {
  const [t] = await db.select().from(apiTokens).where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId))).for('update');
  return t;
}

export async function revokeToken(db: Queryable, id: number, userId: number): Promise<ApiTokenRow | undefined> {
  const [t] = await db
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId)))
    .returning();
  return t;
}

export async function countTokens(db: Queryable, userId: number, liveOnly: boolean): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), liveOnly ? isNull(apiTokens.revokedAt) : undefined));
  return r?.n ?? 0;
}
