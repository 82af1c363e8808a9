import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { churches } from './church.js';

/**
 * The audit log: one row per change to people, households, groups, memberships, roles, consent,
 * tags, fields, merges and sends, written in the change's own transaction. Append-only: a trigger
 * (drizzle/…_audit_merges.sql) refuses UPDATE; rows leave by the retention prune (AUDIT_RETENTION_DAYS,
 * worker/audit-prune.ts) or with their church. No foreign key to the entity: the row outlives it.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    /** the signed-in user or the token's owner; null: the system (inbound STOP, the worker) */
    actorUserId: integer(),
    /** the API token used, when the change came through one */
    actorTokenId: integer(),
    /** what made it without a user: keyword:STOP, worker… */
    actorLabel: text(),
    /** Member, Household, Group, GroupMembership, ChurchRole, Consent, Message, Merge… */
    entity: text().notNull(),
    entityId: text().notNull(),
    /** create, update, archive, restore, delete, merge, send, join, leave, import… */
    action: text().notNull(),
    /** changed fields: { field: [before, after] }; for a create/delete the whole row as after/before */
    changes: jsonb().$type<Record<string, [unknown, unknown]>>(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // a church's log, newest first (keyset on id desc); range on at goes with it
    index('audit_log_church_idx').on(t.churchId, t.id.desc()),
    // one entity's history
    index('audit_log_entity_idx').on(t.churchId, t.entity, t.entityId, t.id.desc()),
    // one actor's changes
    index('audit_log_actor_idx').on(t.churchId, t.actorUserId, t.id.desc()).where(sql`actor_user_id IS NOT NULL`),
    // the retention prune: oldest first
    index('audit_log_at_idx').on(t.at),
  ],
);

/** A record of each merge of two people: who was kept, who was removed, and what moved. */
export const memberMerges = pgTable(
  'member_merges',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    /** the person kept (no foreign key: a later merge may remove them too) */
    keptMemberId: integer().notNull(),
    /** the person removed (deleted; their row as it was is in removedSnapshot) */
    removedMemberId: integer().notNull(),
    removedSnapshot: jsonb().$type<Record<string, unknown>>().notNull(),
    /** rows moved per table, and the conflicts resolved */
    moved: jsonb().$type<Record<string, number>>().notNull(),
    mergedBy: integer(),
    mergedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('member_merges_church_idx').on(t.churchId, t.id.desc()),
    index('member_merges_kept_idx').on(t.keptMemberId),
    index('member_merges_removed_idx').on(t.removedMemberId),
  ],
);
