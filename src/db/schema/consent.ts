import { sql } from 'drizzle-orm';
import { check, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { churches } from './church.js';

/**
 * Text consent per (church, phone number). Carriers require a STOP to hold for the number, not
 * for whoever holds it today: a STOP from a number no member has, or a member created later with
 * it, must still not be texted. The church is the one whose number the STOP was sent to (inbound
 * To). START clears opted_out_at (the row stays, with how it was cleared). The worker checks this
 * before each send and audiences check it when built; members' own sms_opted_out_at mirrors it
 * for display (and also records a staff opt-out of one person).
 */
export const smsConsents = pgTable(
  'sms_consents',
  {
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    /** E.164 */
    phone: text().notNull(),
    /** null: may be texted (START after a STOP) */
    optedOutAt: timestamp({ withTimezone: true }),
    /** what set the current state: keyword:STOP, error:21610, keyword:START … */
    via: text().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // lookups are always by (church, phone): inbound keywords, send-time check, audiences, member writes
    primaryKey({ name: 'sms_consents_pkey', columns: [t.churchId, t.phone] }),
    check('sms_consents_phone_e164', sql`${t.phone} ~ '^\\+[1-9][0-9]{6,14}$'`),
  ],
);
