import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const timestamps = {
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
};
export { timestamps };

export const churches = pgTable(
  'churches',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    name: text().notNull(),
    slug: text().notNull(),
    timeZone: text().notNull(),
    smsFromNumber: text(),
    /** reply to HELP / INFO texts; a default naming the church is used when empty */
    smsHelpText: text(),
    /** the display name of its emails' From (the address is always EMAIL_FROM); null: the church's name */
    emailFromName: text(),
    /** where replies to its emails go (Reply-To); null: none (replies go to EMAIL_FROM) */
    emailReplyTo: text(),
    ...timestamps,
  },
  (t) => [
    // church by slug (URLs, sign-in), and slug uniqueness
    uniqueIndex('churches_slug_key').on(t.slug),
    // inbound SMS: the number a text was sent to identifies the church
    uniqueIndex('churches_sms_from_number_key').on(t.smsFromNumber),
    // `churches` list, ordered by name with id as the tie-breaker of the keyset cursor
    index('churches_name_id_idx').on(sql`lower(${t.name})`, t.id),
    check('churches_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$'`),
    check('churches_email_reply_to_lower', sql`${t.emailReplyTo} = lower(${t.emailReplyTo})`),
    check('churches_sms_from_e164', sql`${t.smsFromNumber} ~ '^\\+[1-9][0-9]{6,14}$'`),
  ],
);
