import { sql } from 'drizzle-orm';
import {
  check,
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import { churches, timestamps } from './church.js';
import { householdRole, memberStatus } from './enums.js';

export const households = pgTable(
  'households',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    ...timestamps,
  },
  (t) => [
    // target of the (church_id, household_id) foreign key from members: a member can only
    // belong to a household of their own church
    unique('households_church_id_id_key').on(t.churchId, t.id),
    // `households(churchId)` list in name order (keyset on name, id)
    index('households_church_name_idx').on(t.churchId, sql`lower(${t.name})`, t.id),
  ],
);

export const members = pgTable(
  'members',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    householdId: integer(),
    householdRole: householdRole(),
    firstName: text().notNull(),
    lastName: text().notNull(),
    email: text(),
    phone: text(),
    status: memberStatus().notNull().default('visitor'),
    firstVisitOn: date({ mode: 'string' }),
    joinedOn: date({ mode: 'string' }),
    inactivatedOn: date({ mode: 'string' }),
    birthDate: date({ mode: 'string' }),
    smsOptedOutAt: timestamp({ withTimezone: true }),
    smsOptOutVia: text(),
    archivedAt: timestamp({ withTimezone: true }),
    // Lower-cased name, email and phone digits in one string: the trigram index below serves
    // substring search over all of them with a single LIKE.
    searchText: text().generatedAlwaysAs(
      sql`lower(first_name || ' ' || last_name || ' ' || coalesce(email, '') || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), ''))`,
    ),
    ...timestamps,
  },
  (t) => [
    unique('members_church_id_id_key').on(t.churchId, t.id),
    foreignKey({
      name: 'members_household_same_church_fk',
      columns: [t.churchId, t.householdId],
      foreignColumns: [households.churchId, households.id],
    }).onDelete('restrict'),
    // directory, orderBy NAME (keyset on lower(last), lower(first), id); non-archived only
    index('members_directory_idx')
      .on(t.churchId, sql`lower(${t.lastName})`, sql`lower(${t.firstName})`, t.id)
      .where(sql`archived_at IS NULL`),
    // directory filtered by status, orderBy NAME
    index('members_status_directory_idx')
      .on(t.churchId, t.status, sql`lower(${t.lastName})`, sql`lower(${t.firstName})`, t.id)
      .where(sql`archived_at IS NULL`),
    // directory, orderBy JOINED (newest first, never-joined last) and join-date ranges (growth)
    index('members_joined_idx')
      .on(t.churchId, sql`coalesce(${t.joinedOn}, '-infinity'::date) DESC`, sql`${t.id} DESC`)
      .where(sql`archived_at IS NULL`),
    // archived members list (filter archived: true), in name order
    index('members_archived_idx')
      .on(t.churchId, sql`lower(${t.lastName})`, sql`lower(${t.firstName})`, t.id)
      .where(sql`archived_at IS NOT NULL`),
    // search by name / email / phone fragment (pg_trgm; church_id through btree_gin)
    index('members_search_trgm_idx').using('gin', t.churchId, sql`${t.searchText} gin_trgm_ops`),
    // phone lookup: inbound SMS (From number within the church the text was sent to)
    index('members_church_phone_idx').on(t.churchId, t.phone).where(sql`phone IS NOT NULL`),
    // Household.members and filter householdId
    index('members_household_idx').on(t.householdId).where(sql`household_id IS NOT NULL`),
    // analytics (src/modules/analytics/analytics.queries.ts): the member pass (status counts,
    // new members, first-time and returning visitors, households, group participation) and the
    // monthly growth series read only these columns of a church's non-archived members, so both
    // are index-only scans of this index instead of reads of whole member rows. Only church_id is
    // searched; the rest would be INCLUDE columns, which drizzle-kit cannot declare (yet).
    index('members_analytics_idx')
      .on(t.churchId, t.status, t.householdId, t.joinedOn, t.firstVisitOn, t.inactivatedOn, t.id)
      .where(sql`archived_at IS NULL`),
    // likely duplicates (src/modules/merge): same email, and same name and birth date, per church
    index('members_church_email_idx').on(t.churchId, sql`lower(${t.email})`, t.id).where(sql`email IS NOT NULL AND archived_at IS NULL`),
    index('members_church_name_birth_idx')
      .on(t.churchId, sql`lower(${t.lastName})`, sql`lower(${t.firstName})`, t.birthDate, t.id)
      .where(sql`birth_date IS NOT NULL AND archived_at IS NULL`),
    check('members_phone_e164', sql`${t.phone} ~ '^\\+[1-9][0-9]{6,14}$'`),
    check(
      'members_household_role_needs_household',
      sql`${t.householdRole} IS NULL OR ${t.householdId} IS NOT NULL`,
    ),
  ],
);
