import { registerEnumType } from 'type-graphql';
import {
  ApiTokenKind,
  CheckInVia,
  ChurchRole,
  ConversationDirection,
  ConversationState,
  CustomFieldType,
  EmailSuppressionReason,
  GroupKind,
  GroupRole,
  HouseholdRole,
  MemberStatus,
  MessageChannel,
  MessageStatus,
  RecipientStatus,
  SmsEncoding,
  TemplateChannel,
} from '../db/schema/enums.js';
import { MemberOrderBy } from '../modules/member/member.order.js';

// The enums' one source is their values (src/db/schema/enums.ts, member.order.ts): here they get
// their GraphQL names and descriptions.
export { ApiTokenKind, CheckInVia, ChurchRole, ConversationDirection, ConversationState, CustomFieldType, EmailSuppressionReason, TemplateChannel, GroupKind, GroupRole, HouseholdRole, MemberOrderBy, MemberStatus, MessageChannel, MessageStatus, RecipientStatus, SmsEncoding };

registerEnumType(MemberStatus, {
  name: 'MemberStatus',
  description: 'Where a person stands: VISITOR → REGULAR (attends) → MEMBER (joined); INACTIVE when they stop.',
});
registerEnumType(HouseholdRole, { name: 'HouseholdRole' });
registerEnumType(GroupKind, { name: 'GroupKind' });
registerEnumType(GroupRole, { name: 'GroupRole' });
registerEnumType(MemberOrderBy, {
  name: 'MemberOrderBy',
  description: 'NAME: last name, first name (A–Z). JOINED: newest members first; never joined last.',
  valuesConfig: {
    NAME: { description: 'Last name, first name, A–Z' },
    JOINED: { description: 'Join date, newest first; people who never joined come last' },
  },
});

registerEnumType(ChurchRole, {
  name: 'ChurchRole',
  description: 'VIEWER reads; STAFF also writes people, households and groups; ADMIN also manages users and tokens; OWNER also manages owners.',
});

registerEnumType(SmsEncoding, { name: 'SmsEncoding', description: 'GSM7: 160 characters a segment (153 in long texts). UCS2: 70 (67).' });
registerEnumType(MessageStatus, { name: 'MessageStatus' });
registerEnumType(MessageChannel, { name: 'MessageChannel', description: 'SMS: a text to each phone number. EMAIL: an email to each address.' });
registerEnumType(RecipientStatus, {
  name: 'RecipientStatus',
  description:
    'QUEUED → SENDING → SENT (the provider accepted it) → DELIVERED | UNDELIVERED | FAILED; or SKIPPED / CANCELLED. ' +
    'UNCONFIRMED: the provider never said what became of a SENT text by the reconcile horizon (final). ' +
    'Emails: SENDING → DELIVERED (the mail server accepted it) → UNDELIVERED (a bounce reported later); UNCONFIRMED: handed to the mail server, no answer (never resent).',
});
registerEnumType(CheckInVia, { name: 'CheckInVia', description: 'STAFF: a signed-in user; KIOSK: a check-in token; BULK: recordAttendance.' });
registerEnumType(ApiTokenKind, {
  name: 'ApiTokenKind',
  description: 'FULL: acts as its user. CHECK_IN: a door tablet of one church: finds people by name or phone fragment and checks them in, nothing else.',
});
registerEnumType(CustomFieldType, {
  name: 'CustomFieldType',
  description: 'TEXT, NUMBER, DATE, YES_NO, SINGLE_CHOICE (one of the choices) or MULTIPLE_CHOICE (some of them).',
});

registerEnumType(ConversationState, { name: 'ConversationState', description: 'OPEN until staff close it; a new text from the number opens it again.' });
registerEnumType(ConversationDirection, { name: 'ConversationDirection', description: 'INBOUND: the person wrote; OUTBOUND: the church texted (a reply or a bulk text).' });
registerEnumType(TemplateChannel, { name: 'TemplateChannel', description: 'What a saved template is for: SMS, or EMAIL (which carries a subject).' });
registerEnumType(EmailSuppressionReason, { name: 'EmailSuppressionReason', description: 'UNDELIVERABLE: a permanent bounce; COMPLAINED: the recipient reported the email as spam.' });
