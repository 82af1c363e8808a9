import { sql } from 'drizzle-orm';
import { foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './auth.js';
import { churches, timestamps } from './church.js';
import { members } from './member.js';

/** A church's label for people (Worship team, Needs a ride…): renamed or archived, never deleted. */
export const tags = pgTable(
  'tags',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    archivedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    unique('tags_church_id_id_key').on(t.churchId, t.id),
    // a name is one tag of the church (archived ones included); also Church.tags in name order
    uniqueIndex('tags_church_name_key').on(t.churchId, sql`lower(${t.name})`),
  ],
);

export const memberTags = pgTable(
  'member_tags',
  {
    churchId: integer().notNull(),
    tagId: integer().notNull(),
    memberId: integer().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the tag's people (counts, "has the tag" filters: tag_id = ANY(…) then the member)
    primaryKey({ name: 'member_tags_pkey', columns: [t.tagId, t.memberId] }),
    // Member.tags, and the EXISTS of the directory filter and smart-list rules per member
    index('member_tags_member_idx').on(t.memberId, t.tagId),
    foreignKey({ name: 'member_tags_tag_fk', columns: [t.churchId, t.tagId], foreignColumns: [tags.churchId, tags.id] }).onDelete('cascade'),
    foreignKey({ name: 'member_tags_member_fk', columns: [t.churchId, t.memberId], foreignColumns: [members.churchId, members.id] }).onDelete('cascade'),
  ],
);

/** A saved rule set over a church's people; its members are computed in SQL whenever it is read. */
export const smartLists = pgTable(
  'smart_lists',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    description: text(),
    /** the rules as validated (src/modules/smartlist/rules.service.ts): { match, conditions, groups } */
    rules: jsonb().notNull(),
    createdBy: integer().references(() => users.id, { onDelete: 'set null' }),
    ...timestamps,
  },
  (t) => [
    // a name is one list of the church; also smartLists(churchId) in name order (names are unique: the id tie-break never matters)
    uniqueIndex('smart_lists_church_name_key').on(t.churchId, sql`lower(${t.name})`),
  ],
);
