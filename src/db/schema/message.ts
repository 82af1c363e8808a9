import { sql } from 'drizzle-orm';
import {
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { FAILED_STATUSES, NEVER_HANDED_OVER_STATUSES, statusList } from '../../delivery/status.js';
import { users } from './auth.js';
import { churches } from './church.js';
import { messageStatus, recipientStatus, smsEncoding } from './enums.js';
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
    /** the audience as asked: { everyone, statuses, groupIds, memberIds } */
    audience: jsonb().notNull(),
    status: messageStatus().notNull(),
    urgent: boolean().notNull().default(false),
    /** when the sender asked for it (null: now) */
    scheduledAt: timestamp({ withTimezone: true }),
    /** when sending may start: scheduledAt or now, moved out of quiet hours unless urgent */
    sendAt: timestamp({ withTimezone: true }).notNull(),
    encoding: smsEncoding().notNull(),
    segments: integer().notNull(),
    recipientCount: integer().notNull(),
    skippedCount: integer().notNull(),
    /** eligible recipients x segments x price per segment, at send time */
    estimatedCost: numeric({ precision: 12, scale: 4 }).notNull(),
    fromNumber: text().notNull(),
    cancelledAt: timestamp({ withTimezone: true }),
    completedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('messages_church_id_id_key').on(t.churchId, t.id),
    // messages(churchId): newest first
    index('messages_church_created_idx').on(t.churchId, t.id.desc()),
    // analytics: texts sent in a period
    index('messages_church_send_at_idx').on(t.churchId, t.sendAt),
  ],
);

export const messageRecipients = pgTable(
  'message_recipients',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer().notNull(),
    messageId: integer().notNull(),
    memberId: integer().notNull(),
    /** E.164 at send time (the member's number may change later); null when skipped for no phone */
    phone: text(),
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
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // one row per (message, member)
    uniqueIndex('message_recipients_message_member_key').on(t.messageId, t.memberId),
    // message(id).recipients in id order, and delivery counts (message_id, status)
    index('message_recipients_message_status_idx').on(t.messageId, t.status),
    // status callbacks: recipient by provider SID
    uniqueIndex('message_recipients_sid_key').on(t.providerSid).where(sql`provider_sid IS NOT NULL`),
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
      .on(t.messageId)
      .where(sql`provider_sid IS NOT NULL AND status NOT IN ${statusList(NEVER_HANDED_OVER_STATUSES)}`),
    // the reconciler: SENT recipients never asked about, oldest first, and those due again
    index('message_recipients_reconcile_new_idx').on(t.sentAt).where(sql`status = 'sent' AND reconcile_at IS NULL`),
    index('message_recipients_reconcile_due_idx').on(t.reconcileAt).where(sql`status = 'sent' AND reconcile_at IS NOT NULL`),
    foreignKey({
      name: 'message_recipients_message_same_church_fk',
      columns: [t.churchId, t.messageId],
      foreignColumns: [messages.churchId, messages.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'message_recipients_member_same_church_fk',
      columns: [t.churchId, t.memberId],
      foreignColumns: [members.churchId, members.id],
    }).onDelete('cascade'),
  ],
);
