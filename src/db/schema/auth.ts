import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { churches, timestamps } from './church.js';
import { apiTokenKind, churchRole } from './enums.js';

export const users = pgTable(
  'users',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** stored lower-case */
    email: text().notNull(),
    name: text().notNull(),
    passwordHash: text().notNull(),
    isPlatformAdmin: boolean().notNull().default(false),
    deactivatedAt: timestamp({ withTimezone: true }),
    passwordChangedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    ...timestamps,
  },
  (t) => [
    // login by email; one account per address
    uniqueIndex('users_email_key').on(t.email),
  ],
);

export const churchRoles = pgTable(
  'church_roles',
  {
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    role: churchRole().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // a viewer's roles (every request that authenticates with a token; login)
    primaryKey({ name: 'church_roles_pkey', columns: [t.userId, t.churchId] }),
    // churchUsers(churchId): the staff of a church
    index('church_roles_church_idx').on(t.churchId, t.userId),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    /** sha256 of the secret; the secret itself is shown once and never stored */
    tokenHash: text().notNull(),
    /** first characters of the secret, to recognise a token in lists */
    prefix: text().notNull(),
    kind: apiTokenKind().notNull().default('full'),
    /** a check_in token's church (its user must stay STAFF or higher there) */
    churchId: integer().references(() => churches.id, { onDelete: 'cascade' }),
    expiresAt: timestamp({ withTimezone: true }),
    lastUsedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // authentication by bearer token
    uniqueIndex('api_tokens_hash_key').on(t.tokenHash),
    // apiTokens: a user's tokens, newest first
    index('api_tokens_user_idx').on(t.userId, t.id),
    // a church's deletion removes its check-in tokens
    index('api_tokens_church_idx').on(t.churchId).where(sql`church_id IS NOT NULL`),
    check('api_tokens_kind_church', sql`(${t.kind} = 'check_in') = (${t.churchId} IS NOT NULL)`),
  ],
);
