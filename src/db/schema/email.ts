import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { churches } from './church.js';
import { emailSuppressionReason } from './enums.js';
import { members } from './member.js';

/**
 * Email consent per person (opt-out), independent of SMS consent (sms_consents, members'
 * sms_opted_out_at). A row is written by the one-click unsubscribe (RFC 8058) of an email sent to
 * that person: opted_out_at set, with the address it was sent to. A person opted out is never
 * emailed, and neither is that address in that church (one email per address: a spouse sharing it
 * would otherwise get the next one). Resubscribing from the same link clears opted_out_at.
 */
export const emailConsents = pgTable(
  'email_consents',
  {
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    memberId: integer().notNull(),
    /** the address (lower-cased) the unsubscribed email went to */
    email: text().notNull(),
    /** null: may be emailed again (resubscribed) */
    optedOutAt: timestamp({ withTimezone: true }),
    /** what set the current state: unsubscribe:one-click, unsubscribe:page, resubscribe:page */
    via: text().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the person's own state: audiences and the worker's send-time check probe (church, member)
    primaryKey({ name: 'email_consents_pkey', columns: [t.churchId, t.memberId] }),
    // the address's state in that church: audiences and the worker probe (church, address)
    index('email_consents_church_email_idx').on(t.churchId, t.email).where(sql`opted_out_at IS NOT NULL`),
    foreignKey({
      name: 'email_consents_member_same_church_fk',
      columns: [t.churchId, t.memberId],
      foreignColumns: [members.churchId, members.id],
    }).onDelete('cascade'),
    check('email_consents_lower', sql`${t.email} = lower(${t.email})`),
  ],
);

/**
 * Addresses no church emails any more: a permanent bounce (undeliverable) or a spam complaint,
 * reported to POST /webhooks/email/events by the mail provider. Platform-wide: one SMTP account
 * sends for every church, and its reputation is what a bounce or a complaint costs.
 */
export const emailSuppressions = pgTable(
  'email_suppressions',
  {
    /** lower-cased */
    email: text().primaryKey(),
    reason: emailSuppressionReason().notNull(),
    /** the provider's words (diagnostic code, feedback type), at most 500 characters */
    detail: text(),
    /** reports received for the address */
    reports: integer().notNull().default(1),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('email_suppressions_lower', sql`${t.email} = lower(${t.email})`)],
);
