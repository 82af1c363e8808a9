import { sql } from 'drizzle-orm';
import {
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import { users } from './auth.js';
import { churches, timestamps } from './church.js';
import { checkInVia } from './enums.js';
import { groups } from './group.js';
import { members } from './member.js';

/**
 * An event: one-off (no rule) or recurring (an RFC 5545 RRULE without DTSTART). Its first start is
 * a wall-clock time in its time zone (`starts_local`), so a weekly 10:00 stays 10:00 across DST.
 */
export const events = pgTable(
  'events',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    /** a group's meeting; null for church-wide events (services) */
    groupId: integer(),
    name: text().notNull(),
    description: text(),
    location: text(),
    /** IANA zone; the church's when the event was made */
    timeZone: text().notNull(),
    /** the first occurrence's local wall-clock start, `YYYY-MM-DDTHH:MM` */
    startsLocal: text().notNull(),
    durationMinutes: integer().notNull(),
    rrule: text(),
    archivedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    unique('events_church_id_id_key').on(t.churchId, t.id),
    // events(churchId) in name order (keyset on lower(name), id)
    index('events_church_name_idx').on(t.churchId, sql`lower(${t.name})`, t.id),
    // Group.events
    index('events_group_idx').on(t.groupId, t.id).where(sql`group_id IS NOT NULL`),
    foreignKey({
      name: 'events_group_same_church_fk',
      columns: [t.churchId, t.groupId],
      foreignColumns: [groups.churchId, groups.id],
    }).onDelete('cascade'),
    check('events_duration_range', sql`${t.durationMinutes} BETWEEN 1 AND 10080`),
    check('events_starts_local_format', sql`${t.startsLocal} ~ '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$'`),
  ],
);

/**
 * What differs about one occurrence, keyed by the start the rule gives it (`original_start`):
 * cancelled, moved, or a headcount of people checked in without names.
 */
export const eventOccurrences = pgTable(
  'event_occurrences',
  {
    churchId: integer().notNull(),
    eventId: integer().notNull(),
    originalStart: timestamp({ withTimezone: true }).notNull(),
    /** when moved: the new start and end */
    startsAt: timestamp({ withTimezone: true }),
    endsAt: timestamp({ withTimezone: true }),
    cancelledAt: timestamp({ withTimezone: true }),
    /** people present without a name (a count at the door) */
    headcount: integer().notNull().default(0),
    ...timestamps,
  },
  (t) => [
    // an event's exceptions in a window (the occurrence generator reads a range)
    primaryKey({ name: 'event_occurrences_pkey', columns: [t.eventId, t.originalStart] }),
    // occurrences moved into a window from outside it
    index('event_occurrences_moved_idx').on(t.eventId, t.startsAt).where(sql`starts_at IS NOT NULL`),
    // the dashboard's headcounts of a church in a window
    index('event_occurrences_church_start_idx').on(t.churchId, t.originalStart),
    foreignKey({
      name: 'event_occurrences_event_same_church_fk',
      columns: [t.churchId, t.eventId],
      foreignColumns: [events.churchId, events.id],
    }).onDelete('cascade'),
    check('event_occurrences_headcount_range', sql`${t.headcount} BETWEEN 0 AND 100000`),
    check('event_occurrences_moved_pair', sql`(${t.startsAt} IS NULL) = (${t.endsAt} IS NULL) AND (${t.endsAt} IS NULL OR ${t.endsAt} > ${t.startsAt})`),
  ],
);

/** A person present at an occurrence (event, original start): at most one row, so twice is once. */
export const checkIns = pgTable(
  'check_ins',
  {
    churchId: integer().notNull(),
    eventId: integer().notNull(),
    occurrenceStart: timestamp({ withTimezone: true }).notNull(),
    memberId: integer().notNull(),
    checkedInAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** the signed-in user or the token's owner; null once that user is gone */
    checkedInBy: integer().references(() => users.id, { onDelete: 'set null' }),
    via: checkInVia().notNull(),
  },
  (t) => [
    // an occurrence's people, and an event series' counts per occurrence (week) in a window
    primaryKey({ name: 'check_ins_pkey', columns: [t.eventId, t.occurrenceStart, t.memberId] }),
    // a person's attendance history: first-time and returning guests, the lapsed list
    index('check_ins_church_member_idx').on(t.churchId, t.memberId, t.occurrenceStart),
    // church-wide counts in a window
    index('check_ins_church_start_idx').on(t.churchId, t.occurrenceStart),
    foreignKey({
      name: 'check_ins_event_same_church_fk',
      columns: [t.churchId, t.eventId],
      foreignColumns: [events.churchId, events.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'check_ins_member_same_church_fk',
      columns: [t.churchId, t.memberId],
      foreignColumns: [members.churchId, members.id],
    }).onDelete('cascade'),
  ],
);
