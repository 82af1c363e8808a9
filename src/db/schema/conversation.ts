import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgTable, text, timestamp, unique, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './auth.js';
import { churches } from './church.js';
import { conversationDirection, conversationState, templateChannel } from './enums.js';
import { messages } from './message.js';

/**
 * The inbox: one conversation per (church, phone number) that wrote to the church's number. Who
 * the number belongs to is looked up when read (members_church_phone_idx): a number a member
 * takes later links the conversation to them; none is "unknown".
 */
export const conversations = pgTable(
  'conversations',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    /** E.164 */
    phone: text().notNull(),
    state: conversationState().notNull().default('open'),
    /** inbound texts since staff last read (markConversationRead) or replied */
    unreadCount: integer().notNull().default(0),
    assigneeId: integer().references(() => users.id, { onDelete: 'set null' }),
    lastActivityAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastInboundAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('conversations_church_phone_key').on(t.churchId, t.phone),
    unique('conversations_church_id_id_key').on(t.churchId, t.id),
    // conversations(churchId): latest activity first, keyset (last_activity_at, id); and by state
    index('conversations_church_activity_idx').on(t.churchId, t.lastActivityAt.desc(), t.id.desc()),
    index('conversations_church_state_idx').on(t.churchId, t.state, t.lastActivityAt.desc(), t.id.desc()),
    // filter assignee
    index('conversations_church_assignee_idx')
      .on(t.churchId, t.assigneeId, t.lastActivityAt.desc(), t.id.desc())
      .where(sql`assignee_id IS NOT NULL`),
    // filter unread
    index('conversations_church_unread_idx')
      .on(t.churchId, t.lastActivityAt.desc(), t.id.desc())
      .where(sql`unread_count > 0`),
    check('conversations_phone_e164', sql`${t.phone} ~ '^\\+[1-9][0-9]{6,14}$'`),
  ],
);

/**
 * The thread of a conversation, oldest first: inbound texts (with the provider's id, unique, so a
 * webhook delivered twice records one row), staff replies and the bulk texts sent to that number
 * while the conversation exists (or found when it began). An outbound row names its
 * message_recipients row by (id, created_at), the partition key, so its delivery status is one
 * primary-key probe in one month; the thread itself never scans message_recipients.
 */
export const conversationMessages = pgTable(
  'conversation_messages',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer().notNull(),
    conversationId: integer().notNull(),
    direction: conversationDirection().notNull(),
    /** what was received, or what was sent (rendered) */
    body: text().notNull(),
    /** inbound: Twilio's MessageSid */
    providerSid: text(),
    /** outbound: the message and its recipient row (message_recipients is partitioned by created_at) */
    messageId: integer().references(() => messages.id, { onDelete: 'cascade' }),
    recipientId: integer(),
    recipientCreatedAt: timestamp({ withTimezone: true }),
    /** a staff reply's author */
    authorId: integer().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the thread: oldest first, keyset by id
    index('conversation_messages_thread_idx').on(t.conversationId, t.id),
    // webhooks are idempotent by the provider's id
    uniqueIndex('conversation_messages_sid_key').on(t.providerSid).where(sql`provider_sid IS NOT NULL`),
    // deleting a message (its church) reaches its thread rows
    index('conversation_messages_message_idx').on(t.messageId).where(sql`message_id IS NOT NULL`),
    // a text is linked into a thread once
    uniqueIndex('conversation_messages_recipient_key').on(t.conversationId, t.recipientId).where(sql`recipient_id IS NOT NULL`),
    foreignKey({
      name: 'conversation_messages_same_church_fk',
      columns: [t.churchId, t.conversationId],
      foreignColumns: [conversations.churchId, conversations.id],
    }).onDelete('cascade'),
  ],
);

/** Saved message templates of a church (merge fields validated on save). */
export const messageTemplates = pgTable(
  'message_templates',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    churchId: integer()
      .notNull()
      .references(() => churches.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    body: text().notNull(),
    channel: templateChannel().notNull().default('sms'),
    /** an email template's subject (merge fields allowed); null for a text's */
    subject: text(),
    createdById: integer().references(() => users.id, { onDelete: 'set null' }),
    archivedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // messageTemplates(churchId): by name (keyset lower(name), id), the live ones and the archived ones
    index('message_templates_church_name_idx').on(t.churchId, sql`lower(${t.name})`, t.id).where(sql`archived_at IS NULL`),
    index('message_templates_church_archived_idx').on(t.churchId, sql`lower(${t.name})`, t.id).where(sql`archived_at IS NOT NULL`),
    // one live template of a name per church
    uniqueIndex('message_templates_church_live_name_key').on(t.churchId, sql`lower(${t.name})`).where(sql`archived_at IS NULL`),
    // a subject exactly on email templates. Written with 'sms' only: the migration adding 'email'
    // to the enum runs in the same transaction, where the new value may not be used yet
    check('message_templates_subject_of_email', sql`(${t.channel} = 'sms') = (${t.subject} IS NULL)`),
  ],
);
