import { sql } from 'drizzle-orm';
import {
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import { churches, timestamps } from './church.js';
import { groupKind, groupRole } from './enums.js';
import { members } from './member.js';

export const groups = pgTable(
  'groups',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    kind: groupKind().notNull().default('small_group'),
    description: text(),
    ...timestamps,
  },
  (t) => [
    unique('groups_church_id_id_key').on(t.churchId, t.id),
    // `groups(churchId)` / Church.groups in name order (keyset on lower(name), id)
    index('groups_church_name_idx').on(t.churchId, sql`lower(${t.name})`, t.id),
  ],
);

export const groupMemberships = pgTable(
  'group_memberships',
  {
    churchId: integer().notNull(),
    groupId: integer().notNull(),
    memberId: integer().notNull(),
    role: groupRole().notNull().default('member'),
    joinedOn: date({ mode: 'string' }).notNull().default(sql`CURRENT_DATE`),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Group.members / memberCount / filter groupId: group -> members
    primaryKey({ name: 'group_memberships_pkey', columns: [t.groupId, t.memberId] }),
    // Member.groups: member -> groups
    index('group_memberships_member_idx').on(t.memberId, t.groupId),
    // the dashboard's "people in a group": a church's members with a membership, in one range scan
    index('group_memberships_church_member_idx').on(t.churchId, t.memberId),
    // Both keys include church_id, so a membership can only join a member and a group of one church.
    foreignKey({
      name: 'group_memberships_group_same_church_fk',
      columns: [t.churchId, t.groupId],
      foreignColumns: [groups.churchId, groups.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'group_memberships_member_same_church_fk',
      columns: [t.churchId, t.memberId],
      foreignColumns: [members.churchId, members.id],
    }).onDelete('cascade'),
  ],
);
