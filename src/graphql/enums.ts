import { registerEnumType } from 'type-graphql';

// GraphQL enum names map to the lower-case values stored in PostgreSQL enums.
export enum MemberStatus {
  VISITOR = 'visitor',
  REGULAR = 'regular',
  MEMBER = 'member',
  INACTIVE = 'inactive',
}
export enum HouseholdRole {
  HEAD = 'head',
  SPOUSE = 'spouse',
  CHILD = 'child',
  OTHER = 'other',
}
export enum GroupKind {
  SMALL_GROUP = 'small_group',
  MINISTRY = 'ministry',
  TEAM = 'team',
  CLASS = 'class',
  OTHER = 'other',
}
export enum GroupRole {
  LEADER = 'leader',
  MEMBER = 'member',
}
export enum MemberOrderBy {
  NAME = 'NAME',
  JOINED = 'JOINED',
}

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

export enum ChurchRole {
  VIEWER = 'viewer',
  STAFF = 'staff',
  ADMIN = 'admin',
  OWNER = 'owner',
}
registerEnumType(ChurchRole, {
  name: 'ChurchRole',
  description: 'VIEWER reads; STAFF also writes people, households and groups; ADMIN also manages users and tokens; OWNER also manages owners.',
});

export enum SmsEncoding {
  GSM7 = 'gsm7',
  UCS2 = 'ucs2',
}
export enum MessageStatus {
  SCHEDULED = 'scheduled',
  SENDING = 'sending',
  COMPLETED = 'completed',
  CANCELLED = 'cancelled',
}
export enum RecipientStatus {
  QUEUED = 'queued',
  SENDING = 'sending',
  SENT = 'sent',
  DELIVERED = 'delivered',
  UNDELIVERED = 'undelivered',
  FAILED = 'failed',
  SKIPPED = 'skipped',
  CANCELLED = 'cancelled',
  UNCONFIRMED = 'unconfirmed',
}
registerEnumType(SmsEncoding, { name: 'SmsEncoding', description: 'GSM7: 160 characters a segment (153 in long texts). UCS2: 70 (67).' });
registerEnumType(MessageStatus, { name: 'MessageStatus' });
registerEnumType(RecipientStatus, {
  name: 'RecipientStatus',
  description:
    'QUEUED → SENDING → SENT (the provider accepted it) → DELIVERED | UNDELIVERED | FAILED; or SKIPPED / CANCELLED. ' +
    'UNCONFIRMED: the provider never said what became of a SENT text by the reconcile horizon (final).',
});
