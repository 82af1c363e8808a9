import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { apiTokens, churchRoles, users, type ChurchRole } from '../../db/schema/index.js';
import { toDate } from '../../db/sql.js';

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
  const rows = await db.execute<Record<string, unknown>>(sql`
    SELECT t.id AS t_id, t.user_id, t.name AS t_name, t.prefix, t.expires_at, t.last_used_at, t.revoked_at,
           t.created_at AS t_created_at,
           u.email, u.name, u.is_platform_admin, u.deactivated_at, u.password_changed_at, u.created_at, u.updated_at,
           coalesce((SELECT json_agg(json_build_array(r.church_id, r.role)) FROM church_roles r WHERE r.user_id = u.id), '[]') AS roles
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = ${tokenHash}
      AND t.revoked_at IS NULL
      AND (t.expires_at IS NULL OR t.expires_at > now())
      AND u.deactivated_at IS NULL`);
  const r = rows[0];
  if (!r) return undefined;
  const userId = r.user_id as number;
  return {
    token: {
      id: r.t_id as number,
      userId,
      name: r.t_name as string,
      tokenHash,
      prefix: r.prefix as string,
      expiresAt: toDate(r.expires_at),
      lastUsedAt: toDate(r.last_used_at),
      revokedAt: toDate(r.revoked_at),
      createdAt: toDate(r.t_created_at) as Date,
    },
    user: {
      id: userId,
      email: r.email as string,
      name: r.name as string,
      passwordHash: '',
      isPlatformAdmin: r.is_platform_admin as boolean,
      deactivatedAt: toDate(r.deactivated_at),
      passwordChangedAt: toDate(r.password_changed_at) as Date,
      createdAt: toDate(r.created_at) as Date,
      updatedAt: toDate(r.updated_at) as Date,
    },
    roles: (typeof r.roles === 'string' ? JSON.parse(r.roles) : r.roles) as RoleList,
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
  const [u] = await db.insert(users).values(row).returning();
  return u as UserRow;
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
  row: { userId: number; name: string; tokenHash: string; prefix: string; expiresAt: Date | null },
): Promise<ApiTokenRow> {
  const [t] = await db.insert(apiTokens).values(row).returning();
  return t as ApiTokenRow;
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
