import { pgEnum } from 'drizzle-orm/pg-core';
import { RECIPIENT_STATUSES } from '../../delivery/status.js';

export const memberStatus = pgEnum('member_status', ['visitor', 'regular', 'member', 'inactive']);
export const householdRole = pgEnum('household_role', ['head', 'spouse', 'child', 'other']);
export const groupKind = pgEnum('group_kind', ['small_group', 'ministry', 'team', 'class', 'other']);
export const groupRole = pgEnum('group_role', ['leader', 'member']);

export type MemberStatus = (typeof memberStatus.enumValues)[number];
export type HouseholdRole = (typeof householdRole.enumValues)[number];
export type GroupKind = (typeof groupKind.enumValues)[number];
export type GroupRole = (typeof groupRole.enumValues)[number];
export const churchRole = pgEnum('church_role', ['viewer', 'staff', 'admin', 'owner']);
export type ChurchRole = (typeof churchRole.enumValues)[number];
export const messageStatus = pgEnum('message_status', ['scheduled', 'sending', 'completed', 'cancelled']);
// the values and which of them are final: src/delivery/status.ts
export const recipientStatus = pgEnum('recipient_status', RECIPIENT_STATUSES);
export const smsEncoding = pgEnum('sms_encoding', ['gsm7', 'ucs2']);
export type MessageStatus = (typeof messageStatus.enumValues)[number];
export type RecipientStatus = (typeof recipientStatus.enumValues)[number];
export type SmsEncoding = (typeof smsEncoding.enumValues)[number];
