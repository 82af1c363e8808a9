import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { FAILED_STATUSES, NEVER_HANDED_OVER_STATUSES, statusList } from '../../delivery/status.js';
import { users } from './auth.js';
import { churches } from './church.js';
import { messageChannel, messageStatus, recipientStatus, smsEncoding } from './enums.js';
import { members } from './member.js';

export const messages = pgTable(
  'messages',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    authorId: integer().references(() => users.id, { onDelete: 'set null' }),
    body: text().notNull(),
    /** sms (the default) or email: which columns below apply (the check at the end) */
    channel: messageChannel().notNull().default('sms'),
    /** email only: the subject line */
    subject: text(),
    /** email only: the From address it went out with (EMAIL_FROM at send time) */
    fromAddress: text(),
    /** the audience as asked: { everyone, statuses, groupIds, memberIds } */
    audience: jsonb().notNull(),
    status: messageStatus().notNull(),
    urgent: boolean().notNull().default(false),
    /** when the sender asked for it (null: now) */
    scheduledAt: timestamp({ withTimezone: true }),
    /** when sending may start: scheduledAt or now, moved out of quiet hours unless urgent */
    sendAt: timestamp({ withTimezone: true }).notNull(),
    /** SMS only (null for email) */
    encoding: smsEncoding(),
    /** SMS only (null for email) */
    segments: integer(),
    recipientCount: integer().notNull(),
    skippedCount: integer().notNull(),
    /** eligible recipients x segments x price per segment, at send time */
    estimatedCost: numeric({ precision: 12, scale: 4 }).notNull(),
    /** SMS only (null for email) */
    fromNumber: text(),
    cancelledAt: timestamp({ withTimezone: true }),
    completedAt: timestamp({ withTimezone: true }),
    /**
     * Written when the month's recipient rows leave message_recipients (src/db/partitions.ts,
     * retention): what they counted, so the message keeps its delivery figures. Null while the rows
     * are there. { counts: { queued: n, … }, textsSent: n }
     */
    deliverySummary: jsonb(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('messages_church_id_id_key').on(t.churchId, t.id),
    // the recipients' foreign key: a recipient row is in its message's month (src/db/partitions.ts)
    unique('messages_church_id_id_created_key').on(t.churchId, t.id, t.createdAt),
    // messages(churchId): newest first
    index('messages_church_created_idx').on(t.churchId, t.id.desc()),
    // analytics: texts sent in a period
    index('messages_church_send_at_idx').on(t.churchId, t.sendAt),
    // a text has its number and segments, an email its subject and sender
    check(
      'messages_channel_fields',
      sql`(channel = 'sms' AND from_number IS NOT NULL AND encoding IS NOT NULL AND segments IS NOT NULL) OR (channel = 'email' AND subject IS NOT NULL AND from_address IS NOT NULL)`,
    ),
  ],
);

/**
 * One row per text: partitioned by month of created_at (PARTITION BY RANGE, one partition per UTC
 * month, made ahead and detached after the retention by src/db/partitions.ts; drizzle/0009). A
 * recipient's created_at is its message's (the foreign key below holds it to that), so all of a
 * message's rows are in one partition and a query by message prunes to it. Unique keys include
 * created_at, as PostgreSQL requires of a partitioned table.
 */
export const messageRecipients = pgTable(
  'message_recipients',
  {
    id: integer().generatedAlwaysAsIdentity(),
    churchId: integer().notNull(),
    messageId: integer().notNull(),
    /** null: a reply to a number no member holds (src/modules/conversation) */
    memberId: integer(),
    /** what was sent when it differs from the message's body (merge fields rendered); null: the message's body */
    body: text(),
    /** the message's channel, kept on the row: failedSends and the sweeper tell texts from emails without the message */
    channel: messageChannel().notNull().default('sms'),
    /** E.164 at send time (the member's number may change later); null when skipped for no phone, and for emails */
    phone: text(),
    /** email only: the address at send time, lower-cased; null when skipped for no email */
    email: text(),
    status: recipientStatus().notNull(),
    /** why a recipient was skipped or cancelled: opted_out, no_phone, shared_phone, cancelled */
    reason: text(),
    providerSid: text(),
    /** the provider's own last status word (queued, sent, delivered…) */
    providerStatus: text(),
    attempts: integer().notNull().default(0),
    /** a worker holds the recipient until then while it talks to the provider */
    leaseUntil: timestamp({ withTimezone: true }),
    /** when the current attempt started: a retry looks for a text created since */
    sendingAt: timestamp({ withTimezone: true }),
    /**
     * Set when an attempt's outcome became unknown (timeout, dropped connection, killed worker):
     * from then on every attempt first asks the provider for a text created since this time, until
     * an outcome is known (a provider id is recorded). Kept through a refused attempt, quiet hours
     * and an operator's retry, which put the recipient back to queued (worker/handlers/send-sms.handler.ts).
     */
    providerCheckSince: timestamp({ withTimezone: true }),
    sentAt: timestamp({ withTimezone: true }),
    deliveredAt: timestamp({ withTimezone: true }),
    failedAt: timestamp({ withTimezone: true }),
    errorCode: text(),
    errorMessage: text(),
    /**
     * The reconciler (worker/reconciler.ts) asks the provider about a SENT recipient at this time;
     * null: never asked yet (first due SMS_RECONCILE_AFTER_S after sent_at). While one worker asks,
     * it is pushed ahead as a lease, so no other worker asks too.
     */
    reconcileAt: timestamp({ withTimezone: true }),
    /** how often the reconciler has asked (its backoff doubles with each) */
    reconcileChecks: integer().notNull().default(0),
    /** the message's created_at (the partition key): set from the message when the row is written */
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'message_recipients_pkey', columns: [t.id, t.createdAt] }),
    // one row per (message, member): created_at is the message's, so this is (message, member)
    uniqueIndex('message_recipients_message_member_key').on(t.messageId, t.memberId, t.createdAt),
    // message(id).recipients in id order, and delivery counts (message_id, status); created_at for
    // the join on the message's month (r.created_at = m.created_at), so the counts stay index-only
    index('message_recipients_message_status_idx').on(t.messageId, t.status, t.createdAt),
    // Status callbacks and the reconciler find a recipient by provider SID, and no two rows may hold
    // one: each month's partition has its own UNIQUE (provider_sid) WHERE provider_sid IS NOT NULL,
    // message_recipients_sid_key_y2026m12, made with the month (src/db/partitions.ts). Not an index
    // of this table's: a partitioned table's unique index must hold created_at, which would make a
    // SID unique per message only.
    // the sweeper: recipients still waiting to be sent
    index('message_recipients_pending_idx').on(t.updatedAt).where(sql`status IN ('queued', 'sending')`),
    // failedSends(churchId): a church's failed texts, newest first
    index('message_recipients_church_failed_idx')
      .on(t.churchId, t.id.desc())
      .where(sql`status IN ${statusList(FAILED_STATUSES)}`),
    // a member's recent messages
    index('message_recipients_member_idx').on(t.memberId, t.id.desc()),
    // analytics textsSent (src/modules/analytics/analytics.queries.ts, messagingTotals): texts
    // handed to the provider, counted per message by an index-only scan. The status counts come
    // from message_recipients_message_status_idx; only provider_sid is not in that index.
    index('message_recipients_sent_idx')
      .on(t.messageId, t.createdAt)
      .where(sql`provider_sid IS NOT NULL AND status NOT IN ${statusList(NEVER_HANDED_OVER_STATUSES)}`),
    // the reconciler: SENT recipients never asked about, oldest first, and those due again
    index('message_recipients_reconcile_new_idx').on(t.sentAt).where(sql`status = 'sent' AND reconcile_at IS NULL`),
    index('message_recipients_reconcile_due_idx').on(t.reconcileAt).where(sql`status = 'sent' AND reconcile_at IS NOT NULL`),
    foreignKey({
      name: 'message_recipients_message_same_church_fk',
      columns: [t.churchId, t.messageId, t.createdAt],
      foreignColumns: [messages.churchId, messages.id, messages.createdAt],
    }).onDelete('cascade'),
    foreignKey({
      name: 'message_recipients_member_same_church_fk',
      columns: [t.churchId, t.memberId],
      foreignColumns: [members.churchId, members.id],
    }).onDelete('cascade'),
  ],
);
