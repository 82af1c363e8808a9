import { pgEnum } from 'drizzle-orm/pg-core';
import { RECIPIENT_STATUSES } from '../../delivery/status.js';
import { enumObject } from '../../lib/enum-object.js';

/*
 * The one source of every stored enum: the PostgreSQL enum (migrations), the TypeScript type (the
 * union of its values), the enum object services use (MemberStatus.VISITOR === 'visitor') and the
 * GraphQL enum (src/graphql/enums.ts registers these objects: the names are the values upper-cased).
 */
export const memberStatus = pgEnum('member_status', ['visitor', 'regular', 'member', 'inactive']);
export const householdRole = pgEnum('household_role', ['head', 'spouse', 'child', 'other']);
export const groupKind = pgEnum('group_kind', ['small_group', 'ministry', 'team', 'class', 'other']);
export const groupRole = pgEnum('group_role', ['leader', 'member']);
export const churchRole = pgEnum('church_role', ['viewer', 'staff', 'admin', 'owner']);
export const messageStatus = pgEnum('message_status', ['scheduled', 'sending', 'completed', 'cancelled']);
// the values and which of them are final: src/delivery/status.ts
export const recipientStatus = pgEnum('recipient_status', RECIPIENT_STATUSES);
export const smsEncoding = pgEnum('sms_encoding', ['gsm7', 'ucs2']);
/** how a message goes out: a text (SMS) or an email */
export const messageChannel = pgEnum('message_channel', ['sms', 'email']);
/** why an address is no longer emailed: a permanent bounce, or a spam complaint (src/db/schema/email.ts) */
export const emailSuppressionReason = pgEnum('email_suppression_reason', ['undeliverable', 'complained']);
export const checkInVia = pgEnum('check_in_via', ['staff', 'kiosk', 'bulk']);
/** full: acts as its user; check_in: a door tablet of one church that can only find people and check them in */
export const apiTokenKind = pgEnum('api_token_kind', ['full', 'check_in']);
/** a church's own field on its people (src/modules/field) */
export const customFieldType = pgEnum('custom_field_type', ['text', 'number', 'date', 'yes_no', 'single_choice', 'multiple_choice']);
export const conversationState = pgEnum('conversation_state', ['open', 'closed']);
export const conversationDirection = pgEnum('conversation_direction', ['inbound', 'outbound']);
/** the channel a saved template is for: a text, or an email (which carries a subject) */
export const templateChannel = pgEnum('template_channel', ['sms', 'email']);

export const MemberStatus = enumObject(memberStatus.enumValues);
export type MemberStatus = (typeof memberStatus.enumValues)[number];
export const HouseholdRole = enumObject(householdRole.enumValues);
export type HouseholdRole = (typeof householdRole.enumValues)[number];
export const GroupKind = enumObject(groupKind.enumValues);
export type GroupKind = (typeof groupKind.enumValues)[number];
export const GroupRole = enumObject(groupRole.enumValues);
export type GroupRole = (typeof groupRole.enumValues)[number];
export const ChurchRole = enumObject(churchRole.enumValues);
export type ChurchRole = (typeof churchRole.enumValues)[number];
export const MessageStatus = enumObject(messageStatus.enumValues);
export type MessageStatus = (typeof messageStatus.enumValues)[number];
export const RecipientStatus = enumObject(recipientStatus.enumValues);
export type RecipientStatus = (typeof recipientStatus.enumValues)[number];
export const SmsEncoding = enumObject(smsEncoding.enumValues);
export type SmsEncoding = (typeof smsEncoding.enumValues)[number];
export const MessageChannel = enumObject(messageChannel.enumValues);
export type MessageChannel = (typeof messageChannel.enumValues)[number];
export const EmailSuppressionReason = enumObject(emailSuppressionReason.enumValues);
export type EmailSuppressionReason = (typeof emailSuppressionReason.enumValues)[number];
export const CheckInVia = enumObject(checkInVia.enumValues);
export type CheckInVia = (typeof checkInVia.enumValues)[number];
export const ApiTokenKind = enumObject(apiTokenKind.enumValues);
export type ApiTokenKind = (typeof apiTokenKind.enumValues)[number];
export const CustomFieldType = enumObject(customFieldType.enumValues);
export type CustomFieldType = (typeof customFieldType.enumValues)[number];
export const ConversationState = enumObject(conversationState.enumValues);
export type ConversationState = (typeof conversationState.enumValues)[number];
export const ConversationDirection = enumObject(conversationDirection.enumValues);
export type ConversationDirection = (typeof conversationDirection.enumValues)[number];
export const TemplateChannel = enumObject(templateChannel.enumValues);
export type TemplateChannel = (typeof templateChannel.enumValues)[number];
