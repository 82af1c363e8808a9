/**
 * Tenant isolation and authorization, walked over the whole API.
 *
 * Every root field of the served schema needs an entry in CASES (an operation aimed at church A's
 * objects) or in NOT_CHURCH_DATA (with the reason): a new field without either fails the first
 * test, so new API surface cannot slip past these checks. Each case is then called anonymously,
 * by the STAFF and the ADMIN of another church B (session and API token), and by a VIEWER of A;
 * answers must carry the right code, never a trace of A's data, and writes nothing. Every case
 * also runs as OWNER of A (positive control), so a broken case cannot pass vacuously.
 */
import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type GqlResult, type TestServer } from './helpers/server.js';
import { subscribe } from './helpers/ws.js';
import { fromFloating, parseLocal } from '../src/modules/event/recurrence.js';
import { inboxTopic } from '../src/realtime/topics.js';

// ---------------------------------------------------------------------------------------------
// The table of cases
// ---------------------------------------------------------------------------------------------

/** Ids of church A's objects (and of a few users), as the API spells them. */
interface Ids {
  A: string;
  aMembers: string[];
  aHouseholds: string[];
  aGroups: string[];
  /** the marker person of A (Zebulon Leakcheck) */
  zebulon: string;
  /** a STAFF user of A only: target of the user-management and platform cases */
  aTargetUser: string;
  /** a text sent to A's marker person */
  aMessage: string;
  /** A's daily event, and three of its past occurrences (the first has the marker person checked in) */
  aEvent: string;
  aOccurrences: string[];
  /** A's custom field (a TEXT field; the marker person has a value) */
  aField: string;
  /** A's tag (the marker person has it) */
  aTag: string;
  /** A's smart lists (the marker person is in both): the first is updated, the second deleted */
  aLists: string[];
  /** the inbox conversation of A's marker person's number, and a saved template of A */
  aConversation: string;
  /** a conversation with a number no member holds (the reply case: another case opts the marker person out) */
  aStranger: string;
  aTemplate: string;
}

/** The least a caller needs in the target church (platform: the platform admin flag). */
type Needs = 'viewer' | 'staff' | 'admin' | 'platform';

interface Case {
  query: string;
  variables: Record<string, unknown>;
  needs: Needs;
  /** a list over the caller's own churches: answers data (without A) instead of NOT_FOUND */
  list?: true;
  /** the answer is numbers about A's people, no strings: the positive control checks them instead of markers */
  countsOnly?: (data: Record<string, any>) => boolean;
}

type CaseKey = `Query.${string}` | `Mutation.${string}` | `Subscription.${string}`;

// Selections reach as far into A's data as they can: a resolver that forgot a check anywhere
// along the path would put A's names, emails or phones into the answer.
const PERSON = 'id firstName lastName fullName email phone status birthDate smsOptOutVia';
const HOUSEHOLD = `id name church { id name slug } members { ${PERSON} }`;
const GROUP = `id name description memberCount church { id name slug } members(first: 50) { totalCount edges { role joinedOn node { ${PERSON} } } }`;
const MEMBER = `${PERSON} customFields { isSet text field { id name } } tags { id name } church { id name slug smsFromNumber } household { ${HOUSEHOLD} } groups { id name members(first: 10) { nodes { ${PERSON} } } }`;
const CHURCH = `id name slug timeZone smsFromNumber memberCount
  members(first: 10) { totalCount nodes { ${PERSON} } }
  households(first: 10) { totalCount nodes { id name members { ${PERSON} } } }
  groups(first: 10) { totalCount nodes { id name memberCount members(first: 10) { totalCount nodes { ${PERSON} } } } }`;
const USER = 'id email name isPlatformAdmin deactivatedAt';
const EVENT = `id name description location timeZone startsLocal rrule church { id name slug } group { ${GROUP} }`;
const OCCURRENCE = `id startsAt endsAt cancelled moved headcount checkedInCount attendance event { ${EVENT} }
  checkIns(first: 20) { totalCount edges { checkedInAt via node { ${PERSON} } } }`;
const CUSTOM_FIELD = 'id name description type required position choices archivedAt missingCount church { id name slug }';
const TAG = 'id name archivedAt memberCount church { id name slug }';
const SMART_LIST = `id name description rules memberCount church { id name slug } members(first: 20) { totalCount nodes { ${PERSON} tags { id name } } }`;
const CHECK_IN_RESULT = 'occurrenceId checkedIn alreadyCheckedIn people { id firstName lastName householdId householdName }';

const CASES: Record<CaseKey, (ids: Ids) => Case> = {
  // ---- queries ------------------------------------------------------------------------------
  'Query.church': (i) => ({ needs: 'viewer', query: `query($id: ID!) { church(id: $id) { ${CHURCH} } }`, variables: { id: i.A } }),
  'Query.churches': () => ({
    needs: 'viewer',
    list: true,
    query: 'query { churches(first: 100) { totalCount nodes { id name slug smsFromNumber memberCount } } }',
    variables: {},
  }),
  'Query.churchUsers': (i) => ({
    needs: 'admin',
    query: `query($churchId: ID!) { churchUsers(churchId: $churchId, first: 50) { totalCount nodes { role user { ${USER} } } } }`,
    variables: { churchId: i.A },
  }),
  'Query.member': (i) => ({ needs: 'viewer', query: `query($id: ID!) { member(id: $id) { ${MEMBER} } }`, variables: { id: i.zebulon } }),
  'Query.members': (i) => ({
    needs: 'viewer',
    query: `query($churchId: ID!, $filter: MemberFilter) {
      members(churchId: $churchId, first: 100, filter: $filter) { totalCount nodes { ${PERSON} household { id name } groups { id name } } }
    }`,
    variables: { churchId: i.A, filter: { status: ['MEMBER', 'REGULAR', 'VISITOR', 'INACTIVE'] } },
  }),
  'Query.household': (i) => ({ needs: 'viewer', query: `query($id: ID!) { household(id: $id) { ${HOUSEHOLD} } }`, variables: { id: i.aHouseholds[0] } }),
  'Query.households': (i) => ({
    needs: 'viewer',
    query: `query($churchId: ID!) { households(churchId: $churchId, first: 20) { totalCount nodes { ${HOUSEHOLD} } } }`,
    variables: { churchId: i.A },
  }),
  'Query.group': (i) => ({ needs: 'viewer', query: `query($id: ID!) { group(id: $id) { ${GROUP} } }`, variables: { id: i.aGroups[0] } }),
  'Query.groups': (i) => ({
    needs: 'viewer',
    query: `query($churchId: ID!) { groups(churchId: $churchId, first: 10) { totalCount nodes { ${GROUP} } } }`,
    variables: { churchId: i.A },
  }),

  'Query.event': (i) => ({
    needs: 'viewer',
    query: `query($id: ID!, $from: DateTime!, $to: DateTime!) { event(id: $id) { ${EVENT} nextOccurrence { id event { name } }
      occurrences(from: $from, to: $to, includeCancelled: true) { ${OCCURRENCE} } } }`,
    variables: { id: i.aEvent, from: new Date(Date.now() - 50 * 86_400_000).toISOString(), to: new Date().toISOString() },
  }),
  'Query.events': (i) => ({
    needs: 'viewer',
    query: `query($c: ID!) { events(churchId: $c, first: 10) { totalCount nodes { ${EVENT} } } }`,
    variables: { c: i.A },
  }),
  'Query.occurrence': (i) => ({ needs: 'viewer', query: `query($id: ID!) { occurrence(id: $id) { ${OCCURRENCE} } }`, variables: { id: i.aOccurrences[0] } }),
  'Query.attendance': (i) => ({
    needs: 'viewer',
    query: `query($c: ID!, $e: ID!) { attendance(churchId: $c, eventId: $e) { event { ${EVENT} } from to timeZone
      weeks { weekStart occurrences checkedIn headcount total } occurrences totalAttendance averageAttendance firstTimeGuests returningGuests } }`,
    variables: { c: i.A, e: i.aEvent },
  }),
  'Query.lapsedPeople': (i) => ({
    needs: 'viewer',
    query: `query($c: ID!) { lapsedPeople(churchId: $c, rule: { minAttendances: 2, previousWeeks: 10, absentWeeks: 4 }) {
      totalCount edges { attended lastAttendedAt node { ${MEMBER} } } } }`,
    variables: { c: i.A },
  }),
  'Query.checkInSearch': (i) => ({
    needs: 'staff',
    query: 'query($c: ID!) { checkInSearch(churchId: $c, search: "leakch") { id firstName lastName householdId householdName } }',
    variables: { c: i.A },
  }),
  'Query.checkInOccurrences': (i) => ({
    needs: 'staff',
    query: 'query($c: ID!) { checkInOccurrences(churchId: $c) { id eventName location startsAt endsAt } }',
    variables: { c: i.A },
  }),

  // ---- mutations (the positive controls run them in this order, at the very end) -------------
  'Mutation.createMember': (i) => ({
    needs: 'staff',
    query: `mutation($input: CreateMemberInput!) { createMember(input: $input) { ${MEMBER} } }`,
    variables: {
      input: {
        churchId: i.A,
        firstName: 'Iso',
        lastName: 'Newperson',
        email: 'iso.newperson@iso.test',
        phone: '+13125550100',
        status: 'MEMBER',
        householdId: i.aHouseholds[1],
        householdRole: 'CHILD',
      },
    },
  }),
  'Mutation.updateMember': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { ${MEMBER} } }`,
    variables: { id: i.zebulon, input: { status: 'INACTIVE', householdId: i.aHouseholds[2], householdRole: 'OTHER', smsOptOut: true } },
  }),
  'Mutation.archiveMember': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!) { archiveMember(id: $id) { ${MEMBER} archivedAt } }`,
    variables: { id: i.aMembers[2] },
  }),
  'Mutation.restoreMember': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!) { restoreMember(id: $id) { ${MEMBER} archivedAt } }`,
    variables: { id: i.aMembers[2] },
  }),
  'Mutation.importMembers': (i) => ({
    needs: 'staff',
    query: `mutation($churchId: ID!, $rows: [ImportMemberRow!]!) {
      importMembers(churchId: $churchId, rows: $rows) { imported householdsCreated errors { row field message } }
    }`,
    variables: {
      churchId: i.A,
      rows: [
        { firstName: 'Iso', lastName: 'Imported', email: 'iso.imported@iso.test', status: 'MEMBER', householdName: 'Iso Import House', householdRole: 'HEAD' },
      ],
    },
  }),
  'Mutation.createHousehold': (i) => ({
    needs: 'staff',
    query: `mutation($input: CreateHouseholdInput!) { createHousehold(input: $input) { ${HOUSEHOLD} } }`,
    variables: { input: { churchId: i.A, name: 'Iso Household' } },
  }),
  'Mutation.updateHousehold': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!, $input: UpdateHouseholdInput!) { updateHousehold(id: $id, input: $input) { ${HOUSEHOLD} } }`,
    variables: { id: i.aHouseholds[0], input: { name: 'Iso Renamed Household' } },
  }),
  'Mutation.createGroup': (i) => ({
    needs: 'staff',
    query: `mutation($input: CreateGroupInput!) { createGroup(input: $input) { ${GROUP} } }`,
    variables: { input: { churchId: i.A, name: 'Iso Group', kind: 'TEAM', description: 'iso' } },
  }),
  'Mutation.updateGroup': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!, $input: UpdateGroupInput!) { updateGroup(id: $id, input: $input) { ${GROUP} } }`,
    variables: { id: i.aGroups[0], input: { description: 'iso changed', kind: 'CLASS' } },
  }),
  'Mutation.addGroupMember': (i) => ({
    needs: 'staff',
    query: `mutation($input: AddGroupMemberInput!) { addGroupMember(input: $input) { role joinedOn group { ${GROUP} } member { ${MEMBER} } } }`,
    variables: { input: { groupId: i.aGroups[1], memberId: i.zebulon, role: 'LEADER', joinedOn: '2020-02-02' } },
  }),
  'Mutation.removeGroupMember': (i) => ({
    needs: 'staff',
    query: `mutation($groupId: ID!, $memberId: ID!) { removeGroupMember(groupId: $groupId, memberId: $memberId) { role joinedOn group { ${GROUP} } member { ${MEMBER} } } }`,
    // seedChurch puts member 0 in groups 0 and 1
    variables: { groupId: i.aGroups[0], memberId: i.aMembers[0] },
  }),
  'Mutation.createEvent': (i) => ({
    needs: 'staff',
    query: `mutation($input: CreateEventInput!) { createEvent(input: $input) { ${EVENT} } }`,
    variables: { input: { churchId: i.A, name: 'Iso Event', startsLocal: '2026-12-06T10:00', rrule: 'FREQ=WEEKLY;BYDAY=SU', groupId: i.aGroups[0] } },
  }),
  'Mutation.updateEvent': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { ${EVENT} } }`,
    variables: { id: i.aEvent, input: { description: 'iso changed', location: 'Iso Hall' } },
  }),
  'Mutation.cancelOccurrence': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!) { cancelOccurrence(id: $id) { ${OCCURRENCE} } }`,
    variables: { id: i.aOccurrences[3] },
  }),
  'Mutation.restoreOccurrence': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!) { restoreOccurrence(id: $id) { ${OCCURRENCE} } }`,
    variables: { id: i.aOccurrences[3] },
  }),
  'Mutation.moveOccurrence': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!, $at: DateTime!) { moveOccurrence(id: $id, startsAt: $at) { ${OCCURRENCE} } }`,
    variables: { id: i.aOccurrences[1], at: new Date(Date.now() - 38.9 * 86_400_000).toISOString() },
  }),
  'Mutation.setHeadcount': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!) { setHeadcount(id: $id, headcount: 12) { ${OCCURRENCE} } }`,
    variables: { id: i.aOccurrences[0] },
  }),
  'Mutation.checkIn': (i) => ({
    needs: 'staff',
    query: `mutation($o: ID!, $m: [ID!]!) { checkIn(occurrenceId: $o, memberIds: $m) { ${CHECK_IN_RESULT} } }`,
    variables: { o: i.aOccurrences[0], m: [i.zebulon, i.aMembers[3]] },
  }),
  'Mutation.checkInHousehold': (i) => ({
    needs: 'staff',
    query: `mutation($o: ID!, $h: ID!) { checkInHousehold(occurrenceId: $o, householdId: $h) { ${CHECK_IN_RESULT} } }`,
    variables: { o: i.aOccurrences[0], h: i.aHouseholds[0] },
  }),
  'Mutation.undoCheckIn': (i) => ({
    needs: 'staff',
    query: 'mutation($o: ID!, $m: ID!) { undoCheckIn(occurrenceId: $o, memberId: $m) { occurrenceId memberId removed } }',
    variables: { o: i.aOccurrences[0], m: i.zebulon },
  }),
  'Mutation.recordAttendance': (i) => ({
    needs: 'staff',
    query: 'mutation($o: ID!, $m: [ID!]!) { recordAttendance(occurrenceId: $o, memberIds: $m, headcount: 3) { recorded alreadyCheckedIn headcount errors { row field message } } }',
    variables: { o: i.aOccurrences[0], m: i.aMembers.slice(5, 10) },
  }),
  'Mutation.updateChurch': (i) => ({
    needs: 'admin',
    query: `mutation($id: ID!, $input: UpdateChurchInput!) { updateChurch(id: $id, input: $input) { ${CHURCH} } }`,
    variables: { id: i.A, input: { timeZone: 'America/New_York', smsFromNumber: '+13125550111' } },
  }),
  'Mutation.addChurchUser': (i) => ({
    needs: 'admin',
    query: `mutation($input: AddChurchUserInput!) { addChurchUser(input: $input) { role user { ${USER} } } }`,
    variables: { input: { churchId: i.A, email: 'iso.newcomer@iso.test', name: 'Iso Newcomer', password: 'a long enough password', role: 'STAFF' } },
  }),
  'Mutation.setChurchUserRole': (i) => ({
    needs: 'admin',
    query: `mutation($churchId: ID!, $userId: ID!, $role: ChurchRole!) { setChurchUserRole(churchId: $churchId, userId: $userId, role: $role) { role user { ${USER} } } }`,
    variables: { churchId: i.A, userId: i.aTargetUser, role: 'VIEWER' },
  }),
  'Mutation.deactivateUser': (i) => ({
    needs: 'platform',
    query: `mutation($userId: ID!) { deactivateUser(userId: $userId) { ${USER} } }`,
    variables: { userId: i.aTargetUser },
  }),
  'Mutation.reactivateUser': (i) => ({
    needs: 'platform',
    query: `mutation($userId: ID!) { reactivateUser(userId: $userId) { ${USER} } }`,
    variables: { userId: i.aTargetUser },
  }),
  'Mutation.removeChurchUser': (i) => ({
    needs: 'admin',
    query: 'mutation($churchId: ID!, $userId: ID!) { removeChurchUser(churchId: $churchId, userId: $userId) }',
    variables: { churchId: i.A, userId: i.aTargetUser },
  }),
  'Query.previewMessage': (i) => ({
    needs: 'staff',
    query: `query($c: ID!, $m: [ID!], $g: [ID!]) { previewMessage(churchId: $c, body: "Hello", audience: { memberIds: $m, groupIds: $g }) {
      recipientCount audienceCount segments encoding estimatedCost skipped { optedOut noPhone sharedPhone } } }`,
    variables: { c: i.A, m: [i.zebulon], g: [i.aGroups[0]] },
    countsOnly: (d) => d.previewMessage.recipientCount > 0 && d.previewMessage.audienceCount >= d.previewMessage.recipientCount,
  }),
  'Query.message': (i) => ({
    needs: 'viewer',
    query: `query($id: ID!) { message(id: $id) { id body status fromNumber church { id name slug } author { ${USER} }
      audience { memberIds groupIds } counts { total queued }
      recipients(first: 5) { totalCount nodes { phone status member { ${PERSON} } } } } }`,
    variables: { id: i.aMessage },
  }),
  'Query.analytics': (i) => ({
    needs: 'viewer',
    query: `query($c: ID!) { analytics(churchId: $c, period: { preset: LAST_12_MONTHS }) {
      churchId church { id name slug } period { from to timeZone } membersByStatus { visitor regular member inactive total }
      newMembers firstTimeVisitors returningVisitors monthly { month joined inactivated netGrowth } households
      groupParticipation { activeMembers inGroups share }
      messaging { messages recipients textsSent delivered failed deliveryRate segments estimatedCost } } }`,
    variables: { c: i.A },
    countsOnly: (d) =>
      d.analytics.membersByStatus.total > 0 && d.analytics.households > 0 && d.analytics.groupParticipation.inGroups > 0 && d.analytics.messaging.recipients > 0,
  }),
  'Query.messages': (i) => ({
    needs: 'viewer',
    query: `query($c: ID!) { messages(churchId: $c, first: 5) { totalCount nodes { id body recipients(first: 3) { nodes { phone member { ${PERSON} } } } } } }`,
    variables: { c: i.A },
  }),
  'Mutation.sendMessage': (i) => ({
    needs: 'staff',
    query: 'mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "Iso hello", audience: { memberIds: $m }, urgent: true) { id body status } }',
    variables: { c: i.A, m: [i.zebulon, ...i.aMembers.slice(0, 5)] },
  }),
  'Query.conversations': (i) => ({
    needs: 'viewer',
    query: `query($c: ID!) { conversations(churchId: $c, first: 10) { totalCount nodes { id phone state unreadCount unknown
      members { ${PERSON} } assignee { ${USER} } church { id name slug } messages(first: 5) { nodes { body direction author { ${USER} } } } } } }`,
    variables: { c: i.A },
  }),
  'Query.conversation': (i) => ({
    needs: 'viewer',
    query: `query($id: ID!) { conversation(id: $id) { id phone members { ${PERSON} } messages(first: 5) { totalCount nodes { id body status message { id body } conversation { phone } } } } }`,
    variables: { id: i.aConversation },
  }),
  'Mutation.replyToConversation': (i) => ({
    needs: 'staff',
    query: 'mutation($id: ID!) { replyToConversation(id: $id, body: "Iso reply", urgent: true) { id body conversation { phone messages(first: 3) { nodes { body } } } } }',
    variables: { id: i.aStranger },
  }),
  'Mutation.assignConversation': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!, $u: ID) { assignConversation(id: $id, userId: $u) { id phone assignee { ${USER} } } }`,
    // nobody (another case removes A's target user before the mutations' positive control runs)
    variables: { id: i.aConversation, u: null },
  }),
  'Mutation.setConversationState': (i) => ({
    needs: 'staff',
    query: 'mutation($id: ID!) { setConversationState(id: $id, state: CLOSED) { id phone state } }',
    variables: { id: i.aConversation },
  }),
  'Mutation.markConversationRead': (i) => ({
    needs: 'staff',
    query: 'mutation($id: ID!) { markConversationRead(id: $id) { id phone unreadCount } }',
    variables: { id: i.aConversation },
  }),
  'Query.emailSuppressions': (i) => ({
    needs: 'staff',
    query: `query($c: ID!) { emailSuppressions(churchId: $c, first: 10) { totalCount nodes { email reason members { ${PERSON} } } } }`,
    variables: { c: i.A },
  }),
  'Mutation.clearEmailSuppression': (i) => ({
    needs: 'admin',
    query: `mutation($c: ID!, $e: String!) { clearEmailSuppression(churchId: $c, email: $e) { email reason members { ${PERSON} } } }`,
    variables: { c: i.A, e: A_BOUNCED },
  }),
  'Mutation.simulateInboundText': (i) => ({
    needs: 'staff',
    query: `mutation($c: ID!) { simulateInboundText(churchId: $c, from: "+13125550188", body: "Iso inbound") { reply message { body } conversation { id phone church { id name slug } } } }`,
    variables: { c: i.A },
  }),
  'Query.messageTemplates': (i) => ({
    needs: 'viewer',
    query: 'query($c: ID!) { messageTemplates(churchId: $c, first: 10) { totalCount nodes { id name body channel } } }',
    variables: { c: i.A },
  }),
  'Mutation.createMessageTemplate': (i) => ({
    needs: 'staff',
    query: 'mutation($i: CreateTemplateInput!) { createMessageTemplate(input: $i) { id name body } }',
    variables: { i: { churchId: i.A, name: 'Iso template', body: 'Hi {firstName}' } },
  }),
  'Mutation.updateMessageTemplate': (i) => ({
    needs: 'staff',
    query: 'mutation($id: ID!) { updateMessageTemplate(id: $id, input: { body: "Iso {fullName}" }) { id name body } }',
    variables: { id: i.aTemplate },
  }),
  'Mutation.archiveMessageTemplate': (i) => ({
    needs: 'staff',
    query: 'mutation($id: ID!) { archiveMessageTemplate(id: $id) { id name body archivedAt } }',
    variables: { id: i.aTemplate },
  }),
  'Mutation.cancelMessage': (i) => ({
    needs: 'staff',
    query: 'mutation($id: ID!) { cancelMessage(id: $id) { id status body } }',
    variables: { id: i.aMessage },
  }),
  // ---- custom fields ------------------------------------------------------------------------
  'Query.customFields': (i) => ({
    needs: 'viewer',
    query: `query($c: ID!) { customFields(churchId: $c, includeArchived: true) { ${CUSTOM_FIELD} } }`,
    variables: { c: i.A },
  }),
  'Mutation.createCustomField': (i) => ({
    needs: 'admin',
    query: `mutation($input: CreateCustomFieldInput!) { createCustomField(input: $input) { ${CUSTOM_FIELD} } }`,
    variables: { input: { churchId: i.A, name: 'Iso Field', type: 'SINGLE_CHOICE', choices: ['Iso One', 'Iso Two'] } },
  }),
  'Mutation.updateCustomField': (i) => ({
    needs: 'admin',
    query: `mutation($id: ID!, $input: UpdateCustomFieldInput!) { updateCustomField(id: $id, input: $input) { ${CUSTOM_FIELD} } }`,
    variables: { id: i.aField, input: { description: 'iso changed', required: false } },
  }),
  'Mutation.archiveCustomField': (i) => ({
    needs: 'admin',
    query: `mutation($id: ID!) { archiveCustomField(id: $id) { ${CUSTOM_FIELD} } }`,
    variables: { id: i.aField },
  }),
  'Mutation.restoreCustomField': (i) => ({
    needs: 'admin',
    query: `mutation($id: ID!) { restoreCustomField(id: $id) { ${CUSTOM_FIELD} } }`,
    variables: { id: i.aField },
  }),
  // ---- tags and smart lists -------------------------------------------------------------------
  'Query.tags': (i) => ({ needs: 'viewer', query: `query($c: ID!) { tags(churchId: $c, includeArchived: true) { ${TAG} } }`, variables: { c: i.A } }),
  'Mutation.createTag': (i) => ({ needs: 'staff', query: `mutation($c: ID!) { createTag(churchId: $c, name: "Iso Tag") { ${TAG} } }`, variables: { c: i.A } }),
  'Mutation.renameTag': (i) => ({ needs: 'admin', query: `mutation($id: ID!) { renameTag(id: $id, name: "Iso Renamed Tag") { ${TAG} } }`, variables: { id: i.aTag } }),
  'Mutation.archiveTag': (i) => ({ needs: 'admin', query: `mutation($id: ID!) { archiveTag(id: $id) { ${TAG} } }`, variables: { id: i.aTag } }),
  'Mutation.restoreTag': (i) => ({ needs: 'admin', query: `mutation($id: ID!) { restoreTag(id: $id) { ${TAG} } }`, variables: { id: i.aTag } }),
  'Mutation.tagMembers': (i) => ({
    needs: 'staff',
    query: `mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed tag { ${TAG} } } }`,
    variables: { t: i.aTag, m: i.aMembers.slice(0, 3) },
  }),
  'Mutation.untagMembers': (i) => ({
    needs: 'staff',
    query: `mutation($t: ID!, $m: [ID!]!) { untagMembers(tagId: $t, memberIds: $m) { changed tag { ${TAG} } } }`,
    variables: { t: i.aTag, m: [i.zebulon] },
  }),
  'Query.smartList': (i) => ({ needs: 'viewer', query: `query($id: ID!) { smartList(id: $id) { ${SMART_LIST} } }`, variables: { id: i.aLists[0] } }),
  'Query.smartLists': (i) => ({
    needs: 'viewer',
    query: `query($c: ID!) { smartLists(churchId: $c, first: 10) { totalCount nodes { ${SMART_LIST} } } }`,
    variables: { c: i.A },
  }),
  'Mutation.createSmartList': (i) => ({
    needs: 'staff',
    query: `mutation($input: CreateSmartListInput!) { createSmartList(input: $input) { ${SMART_LIST} } }`,
    variables: { input: { churchId: i.A, name: 'Iso List', rules: { conditions: [{ field: 'tags', op: 'HAS_ANY', value: [i.aTag] }] } } },
  }),
  'Mutation.updateSmartList': (i) => ({
    needs: 'staff',
    query: `mutation($id: ID!, $input: UpdateSmartListInput!) { updateSmartList(id: $id, input: $input) { ${SMART_LIST} } }`,
    variables: { id: i.aLists[0], input: { description: 'iso changed', rules: { match: 'ANY', conditions: [{ field: 'status', op: 'IN', value: ['MEMBER'] }] } } },
  }),
  'Mutation.deleteSmartList': (i) => ({ needs: 'staff', query: 'mutation($id: ID!) { deleteSmartList(id: $id) }', variables: { id: i.aLists[1] } }),
  // ---- operations (platform admins; failedSends: a church's admins) ----------------------------
  'Query.failedSends': (i) => ({
    needs: 'admin',
    query: 'query($c: ID!) { failedSends(churchId: $c, first: 5) { totalCount nodes { id phone status errorCode } } }',
    variables: { c: i.A },
    countsOnly: (d) => typeof d.failedSends.totalCount === 'number',
  }),
  'Query.queueMetrics': () => ({ needs: 'platform', query: '{ queueMetrics { waiting failed paused workers } }', variables: {}, countsOnly: (d) => typeof d.queueMetrics.waiting === 'number' }),
  'Query.queueHealth': () => ({ needs: 'platform', query: '{ queueHealth { status reasons } }', variables: {}, countsOnly: (d) => typeof d.queueHealth.status === 'string' }),
  'Query.failedJobs': () => ({ needs: 'platform', query: '{ failedJobs(limit: 10) { total jobs { id phone churchName error } } }', variables: {}, countsOnly: (d) => typeof d.failedJobs.total === 'number' }),
  'Query.cacheMetrics': () => ({ needs: 'platform', query: '{ cacheMetrics { hits misses keys } }', variables: {}, countsOnly: (d) => typeof d.cacheMetrics.hits === 'number' }),
  'Query.cacheHealth': () => ({ needs: 'platform', query: '{ cacheHealth { status } }', variables: {}, countsOnly: (d) => typeof d.cacheHealth.status === 'string' }),
  'Mutation.retryFailedJobs': () => ({ needs: 'platform', query: 'mutation { retryFailedJobs(all: true) { retried skipped { id reason } } }', variables: {} }),
  'Mutation.clearFailedJobs': () => ({ needs: 'platform', query: 'mutation { clearFailedJobs }', variables: {} }),
  'Mutation.pauseQueue': () => ({ needs: 'platform', query: 'mutation { pauseQueue { paused } }', variables: {} }),
  'Mutation.resumeQueue': () => ({ needs: 'platform', query: 'mutation { resumeQueue { paused } }', variables: {} }),
  'Mutation.resetCacheMetrics': () => ({ needs: 'platform', query: 'mutation { resetCacheMetrics }', variables: {} }),
  'Mutation.invalidateCache': (i) => ({ needs: 'platform', query: 'mutation($c: ID!) { invalidateCache(churchId: $c) }', variables: { c: i.A } }),
  'Mutation.createChurch': () => ({
    needs: 'platform',
    query: 'mutation($input: CreateChurchInput!) { createChurch(input: $input) { id name slug timeZone smsFromNumber } }',
    variables: { input: { name: 'Iso New Church', slug: 'iso-new-church', timeZone: 'America/Chicago' } },
  }),
  'Query.auditLog': (i) => ({
    needs: 'admin',
    query: `query($c: ID!) { auditLog(churchId: $c, first: 100) { nodes { id entity entityId action changes actorUserId at } totalCount } }`,
    variables: { c: i.A },
    countsOnly: (d) => Array.isArray(d.auditLog.nodes) && typeof d.auditLog.totalCount === 'number',
  }),
  'Query.duplicateMembers': (i) => ({
    needs: 'staff',
    query: `query($c: ID!) { duplicateMembers(churchId: $c, first: 100) { nodes { reasons a { ${PERSON} } b { ${PERSON} } } } }`,
    variables: { c: i.A },
    countsOnly: (d) => Array.isArray(d.duplicateMembers.nodes),
  }),
  'Query.memberMerges': (i) => ({
    needs: 'staff',
    query: `query($c: ID!) { memberMerges(churchId: $c) { nodes { id keptMemberId removedMemberId removedSnapshot moved } totalCount } }`,
    variables: { c: i.A },
    countsOnly: (d) => typeof d.memberMerges.totalCount === 'number',
  }),
  // last of the mutations: it removes one of A's people (the last two seeded, which no other case uses)
  'Mutation.mergeMembers': (i) => ({
    needs: 'staff',
    query: `mutation($k: ID!, $r: ID!) { mergeMembers(keepId: $k, removeId: $r) { member { ${PERSON} } merge { id removedSnapshot moved } } }`,
    variables: { k: i.aMembers[i.aMembers.length - 2], r: i.aMembers[i.aMembers.length - 1] },
  }),
};

/** Subscriptions: the same callers and checks, over graphql-ws. */
const WS_CASES: Record<CaseKey, (ids: Ids) => Case> = {
  'Subscription.messageProgress': (i) => ({
    needs: 'viewer',
    query: 'subscription($id: ID!) { messageProgress(messageId: $id) { messageId status done counts { total queued sent } } }',
    variables: { id: i.aMessage },
  }),
  'Subscription.inboxMessageReceived': (i) => ({
    needs: 'viewer',
    query: 'subscription($c: ID!) { inboxMessageReceived(churchId: $c) { id body direction conversation { phone } } }',
    variables: { c: i.A },
  }),
  'Subscription.conversationUpdated': (i) => ({
    needs: 'viewer',
    query: `subscription($c: ID!) { conversationUpdated(churchId: $c) { id phone unreadCount members { ${PERSON} } } }`,
    variables: { c: i.A },
  }),
};

/** Root fields that hold no church data; each is covered by its own test below. */
const NOT_CHURCH_DATA = new Map<CaseKey, string>([
  ['Query.me', 'the caller themselves (null when anonymous); their own churches only'],
  ['Mutation.login', 'public by design; bad credentials answer UNAUTHENTICATED'],
  ['Mutation.logout', 'ends the caller’s own session; false when anonymous'],
  ['Mutation.changePassword', 'the caller’s own password'],
  ['Query.apiTokens', 'the caller’s own tokens (not per church)'],
  ['Mutation.createApiToken', 'a token for the caller'],
  ['Mutation.revokeApiToken', 'the caller’s own tokens; another user’s token answers NOT_FOUND'],
]);

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;
let ids: Ids;
/** the same shape with ids that exist nowhere: a hostile answer must not tell the two apart */
let ghost: Ids;
let markers: string[];
let checksumBefore: string;

interface Caller {
  name: string;
  headers: Record<string, string>;
}
let anonymous: Caller;
let staffB: Caller & { id: number };
let adminB: Caller & { id: number };
let tokenAdminB: Caller;
let viewerA: Caller & { id: number };
let staffA: Caller & { id: number };
let ownerA: Caller & { id: number };
let aOwnerTokenId: string;

const A_NAME = 'Alpha Secret Church';
const A_SLUG = 'alpha-secret-church';
const B_NAME = 'Bravo Open Church';
/** an address of A's only (seeded emails repeat across churches), suppressed as if it had bounced */
const A_BOUNCED = 'alpha.bounced@alpha.example';
const ZEBULON = { firstName: 'Zebulon', lastName: 'Leakcheck', email: 'zebulon.leakcheck@alpha.example', phone: '+13125550177' };

interface Raw {
  status: number;
  text: string;
  body: GqlResult<Record<string, any>>;
}

/** POSTs with exactly the given headers (no default caller) and keeps the raw answer text. */
async function raw(c: { query: string; variables: Record<string, unknown> }, headers: Record<string, string>): Promise<Raw> {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: c.query, variables: c.variables }),
  });
  const text = await res.text();
  const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  return { status: res.status, text: `${headerText}\n\n${text}`, body: JSON.parse(text) as GqlResult<Record<string, any>> };
}

/** Markers of A's data found in an answer (case-insensitive). */
function leaks(text: string): string[] {
  const t = text.toLowerCase();
  return markers.filter((m) => t.includes(m));
}

function expectNoLeak(label: string, r: Raw) {
  expect(leaks(r.text), `${label} leaked church A's data:\n${r.text}`).toEqual([]);
}

function expectCode(label: string, r: Raw, code: string) {
  expect(r.body.errors, `${label}: expected ${code}, got ${r.text}`).toBeDefined();
  expect(r.body.errors![0]!.extensions?.code, `${label}: ${r.text}`).toBe(code);
  // no data: null, or (for a nullable root field) only nulls
  const data = r.body.data ?? null;
  expect(data === null || Object.values(data).every((v) => v === null), `${label}: data with an error: ${r.text}`).toBe(true);
}

/** What a hostile answer may vary in between a real id of A and an id that exists nowhere: nothing. */
function shape(r: Raw) {
  return (r.body.errors ?? []).map((e) => ({
    message: e.message.replace(/\d+/g, '#'),
    code: e.extensions?.code,
    field: e.extensions?.field,
    type: e.extensions?.type,
    path: e.path,
  }));
}

async function checksum(): Promise<string> {
  const A = a.churchId;
  const [row] = await s.database.sql<[{ sum: string }]>`
    WITH a_users AS (SELECT user_id FROM church_roles WHERE church_id = ${A})
    SELECT md5(concat_ws(' | ',
      (SELECT c::text FROM churches c WHERE c.id = ${A}),
      (SELECT string_agg(m::text, ',' ORDER BY m.id) FROM members m WHERE m.church_id = ${A}),
      (SELECT string_agg(h::text, ',' ORDER BY h.id) FROM households h WHERE h.church_id = ${A}),
      (SELECT string_agg(g::text, ',' ORDER BY g.id) FROM groups g WHERE g.church_id = ${A}),
      (SELECT string_agg(gm::text, ',' ORDER BY gm.group_id, gm.member_id) FROM group_memberships gm WHERE gm.church_id = ${A}),
      (SELECT string_agg(r::text, ',' ORDER BY r.user_id) FROM church_roles r WHERE r.church_id = ${A}),
      (SELECT string_agg(u::text, ',' ORDER BY u.id) FROM users u WHERE u.id IN (SELECT user_id FROM a_users)),
      (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM api_tokens t WHERE t.user_id IN (SELECT user_id FROM a_users)),
      (SELECT string_agg(x::text, ',' ORDER BY x.id) FROM messages x WHERE x.church_id = ${A}),
      (SELECT string_agg(r::text, ',' ORDER BY r.id) FROM message_recipients r WHERE r.church_id = ${A}),
      (SELECT string_agg(e::text, ',' ORDER BY e.id) FROM events e WHERE e.church_id = ${A}),
      (SELECT string_agg(x::text, ',' ORDER BY x.event_id, x.original_start) FROM event_occurrences x WHERE x.church_id = ${A}),
      (SELECT string_agg(ci::text, ',' ORDER BY ci.event_id, ci.occurrence_start, ci.member_id) FROM check_ins ci WHERE ci.church_id = ${A}),
      (SELECT string_agg(f::text, ',' ORDER BY f.id) FROM custom_fields f WHERE f.church_id = ${A}),
      (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM tags t WHERE t.church_id = ${A}),
      (SELECT string_agg(mt.tag_id || ':' || mt.member_id, ',' ORDER BY mt.tag_id, mt.member_id) FROM member_tags mt WHERE mt.church_id = ${A}),
      (SELECT string_agg(l::text, ',' ORDER BY l.id) FROM smart_lists l WHERE l.church_id = ${A}),
      (SELECT string_agg(v::text, ',' ORDER BY v.member_id, v.field_id) FROM member_field_values v WHERE v.church_id = ${A}),
      (SELECT string_agg(x::text, ',' ORDER BY x.id) FROM conversations x WHERE x.church_id = ${A}),
      (SELECT string_agg(x::text, ',' ORDER BY x.id) FROM conversation_messages x WHERE x.church_id = ${A}),
      (SELECT string_agg(x::text, ',' ORDER BY x.id) FROM message_templates x WHERE x.church_id = ${A}),
      (SELECT string_agg(x::text, ',' ORDER BY x.email) FROM email_suppressions x),
      -- and nothing was created anywhere else either
      (SELECT concat_ws(',', (SELECT count(*) FROM churches), (SELECT count(*) FROM users), (SELECT count(*) FROM members),
        (SELECT count(*) FROM households), (SELECT count(*) FROM groups), (SELECT count(*) FROM group_memberships),
        (SELECT count(*) FROM church_roles), (SELECT count(*) FROM api_tokens), (SELECT count(*) FROM messages), (SELECT count(*) FROM users WHERE deactivated_at IS NOT NULL),
        (SELECT count(*) FROM events), (SELECT count(*) FROM event_occurrences), (SELECT count(*) FROM check_ins),
        (SELECT count(*) FROM custom_fields), (SELECT count(*) FROM member_field_values),
        (SELECT count(*) FROM tags), (SELECT count(*) FROM member_tags), (SELECT count(*) FROM smart_lists),
        (SELECT count(*) FROM conversations), (SELECT count(*) FROM conversation_messages), (SELECT count(*) FROM message_templates)))
    )) AS sum`;
  return row.sum;
}

/** Root fields of the served schema: the SDL file, and the running server's introspection. */
async function rootFields(): Promise<string[]> {
  const sdl = buildSchema(readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8'));
  const out = new Set<string>();
  const add = (t: GraphQLObjectType | null | undefined) => {
    for (const f of Object.keys(t?.getFields() ?? {})) out.add(`${t!.name}.${f}`);
  };
  add(sdl.getQueryType());
  add(sdl.getMutationType());
  add(sdl.getSubscriptionType());
  const live = await s.gql<any>(`{ __schema {
    queryType { name fields { name } } mutationType { name fields { name } } subscriptionType { name fields { name } } } }`);
  expect(live.errors).toBeUndefined();
  for (const t of [live.data.__schema.queryType, live.data.__schema.mutationType, live.data.__schema.subscriptionType]) {
    for (const f of t?.fields ?? []) out.add(`${t.name}.${f.name}`);
  }
  return [...out].sort();
}

const caseKeys = () => Object.keys(CASES) as CaseKey[];
function caseOf(k: CaseKey, i: Ids): Case {
  const make = CASES[k];
  if (!make) throw new Error(`no case ${k}`);
  return make(i);
}
const isMutation = (k: CaseKey) => k.startsWith('Mutation.');

beforeAll(async () => {
  s = await startTestServer('isolation');
  a = await seedChurch(s, { members: 40, name: A_NAME });
  b = await seedChurch(s, { members: 12, name: B_NAME });
  const sql = s.database.sql;
  // distinctive names for everything of A (seedChurch names households and groups alike everywhere)
  await sql`UPDATE churches SET slug = ${A_SLUG}, sms_from_number = '+13125550166' WHERE id = ${a.churchId}`;
  await sql`UPDATE churches SET slug = 'bravo-open-church' WHERE id = ${b.churchId}`;
  await sql`UPDATE households SET name = 'Alpha Hearth ' || id WHERE church_id = ${a.churchId}`;
  await sql`UPDATE groups SET name = 'Alpha Circle ' || id, description = 'alpha secret circle' WHERE church_id = ${a.churchId}`;

  // the marker person, through the API (as OWNER of A), in A's first household and first group
  const z = await s.gql<any>(
    'mutation($input: CreateMemberInput!) { createMember(input: $input) { id phone } }',
    { input: { churchId: String(a.churchId), ...ZEBULON, status: 'MEMBER', householdId: String(a.householdIds[0]), householdRole: 'OTHER', birthDate: '1970-07-07' } },
  );
  expect(z.errors).toBeUndefined();
  expect(z.data.createMember.phone).toBe(ZEBULON.phone);
  const zebulon = z.data.createMember.id as string;
  const g = await s.gql<any>('mutation($input: AddGroupMemberInput!) { addGroupMember(input: $input) { role } }', {
    input: { groupId: String(a.groupIds[0]), memberId: zebulon },
  });
  expect(g.errors).toBeUndefined();
  const sent = await s.gql<any>(
    'mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "Alpha secret announcement", audience: { memberIds: $m }, urgent: true) { id } }',
    { c: String(a.churchId), m: [zebulon] },
  );
  expect(sent.errors).toBeUndefined();
  const aMessage = sent.data.sendMessage.id as string;

  // A's daily event (its name a marker), with the marker person checked in on three past days
  const tz = 'America/Chicago';
  const [ev] = await sql<[{ id: number }]>`
    INSERT INTO events (church_id, group_id, name, description, time_zone, starts_local, duration_minutes, rrule)
    VALUES (${a.churchId}, ${a.groupIds[0]!}, 'Alpha Vigil', 'alpha secret vigil', ${tz}, '2025-01-01T12:00', 60, 'FREQ=DAILY') RETURNING id`;
  const daysAgo = (d: number) => {
    const date = new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date(Date.now() - d * 86_400_000));
    return fromFloating(parseLocal(`${date}T12:00`)!, tz);
  };
  const occStarts = [40, 41, 42].map(daysAgo);
  for (const at of occStarts) {
    await sql`INSERT INTO check_ins (church_id, event_id, occurrence_start, member_id, via) VALUES (${a.churchId}, ${ev.id}, ${at.toISOString()}, ${Number(zebulon)}, 'staff')`;
  }
  // A's inbox: the marker person wrote back; and a saved template
  const [conv] = await sql<[{ id: number }]>`INSERT INTO conversations (church_id, phone, unread_count) VALUES (${a.churchId}, ${ZEBULON.phone}, 1) RETURNING id`;
  await sql`INSERT INTO conversation_messages (church_id, conversation_id, direction, body, provider_sid)
    VALUES (${a.churchId}, ${conv.id}, 'inbound', 'Alpha secret inbox reply', 'SMisolation0000000000000000000001')`;
  const [stranger] = await sql<[{ id: number }]>`INSERT INTO conversations (church_id, phone) VALUES (${a.churchId}, '+13125550188') RETURNING id`;
  await sql`INSERT INTO conversation_messages (church_id, conversation_id, direction, body, provider_sid)
    VALUES (${a.churchId}, ${stranger.id}, 'inbound', 'Alpha stranger asks', 'SMisolation0000000000000000000002')`;
  const tpl = await s.gql<any>('mutation($i: CreateTemplateInput!) { createMessageTemplate(input: $i) { id } }', {
    i: { churchId: String(a.churchId), name: 'Alpha secret template', body: 'Alpha secret words for {firstName}' },
  });
  expect(tpl.errors).toBeUndefined();
  // and one day without check-ins (the cancel case)
  const occurrenceIds = [...occStarts, daysAgo(39)].map((at) => `${ev.id}@${at.toISOString().replace('.000Z', 'Z')}`);

  // A's custom field, with a value of the marker person
  const cf = await s.gql<any>('mutation($input: CreateCustomFieldInput!) { createCustomField(input: $input) { id } }', {
    input: { churchId: String(a.churchId), name: 'Alpha Secret Field', type: 'TEXT', description: 'alpha secret field note' },
  });
  expect(cf.errors).toBeUndefined();
  const aField = cf.data.createCustomField.id as string;
  const cv = await s.gql<any>('mutation($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { id } }', {
    id: zebulon,
    input: { customFields: [{ fieldId: aField, text: 'alpha secret answer' }] },
  });
  expect(cv.errors).toBeUndefined();
  // A's tag on the marker person, and two lists that hold them
  const tg = await s.gql<any>('mutation($c: ID!) { createTag(churchId: $c, name: "Alpha Secret Tag") { id } }', { c: String(a.churchId) });
  expect(tg.errors).toBeUndefined();
  const aTag = tg.data.createTag.id as string;
  expect((await s.gql<any>('mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed } }', { t: aTag, m: [zebulon] })).errors).toBeUndefined();
  const aLists: string[] = [];
  for (const name of ['Alpha Secret List', 'Alpha Doomed List']) {
    const l = await s.gql<any>('mutation($input: CreateSmartListInput!) { createSmartList(input: $input) { id } }', {
      input: { churchId: String(a.churchId), name, description: 'alpha secret list note', rules: { conditions: [{ field: 'tags', op: 'HAS_ANY', value: [aTag] }] } },
    });
    expect(l.errors).toBeUndefined();
    aLists.push(l.data.createSmartList.id);
  }

  anonymous = { name: 'anonymous', headers: {} };
  staffB = { name: 'STAFF of B', ...(await s.userWith('staff-b@bravo.test', [[b.churchId, 'staff']])) };
  adminB = { name: 'ADMIN of B', ...(await s.userWith('admin-b@bravo.test', [[b.churchId, 'admin']])) };
  viewerA = { name: 'VIEWER of A', ...(await s.userWith('viewer-a@alpha.example', [[a.churchId, 'viewer']])) };
  staffA = { name: 'STAFF of A', ...(await s.userWith('target-a@alpha.example', [[a.churchId, 'staff']])) };
  ownerA = { name: 'OWNER of A (no platform flag)', ...(await s.userWith('owner-a@alpha.example', [[a.churchId, 'owner']])) };

  // API tokens: B's admin calls through one too (roles read from the database, not a session)
  const tb = await s.gql<any>('mutation { createApiToken(input: { name: "bravo script" }) { token } }', {}, adminB.headers);
  expect(tb.errors).toBeUndefined();
  tokenAdminB = { name: 'ADMIN of B (API token)', headers: { authorization: `Bearer ${tb.data.createApiToken.token}` } };
  const ta = await s.gql<any>('mutation { createApiToken(input: { name: "Alpha Nightly Export" }) { token apiToken { id prefix } } }', {}, ownerA.headers);
  expect(ta.errors).toBeUndefined();
  aOwnerTokenId = ta.data.createApiToken.apiToken.id;

  ids = {
    A: String(a.churchId),
    aMembers: a.memberIds.map(String),
    aHouseholds: a.householdIds.map(String),
    aGroups: a.groupIds.map(String),
    zebulon,
    aTargetUser: String(staffA.id),
    aMessage,
    aEvent: String(ev.id),
    aOccurrences: occurrenceIds,
    aField,
    aTag,
    aLists,
    aConversation: String(conv.id),
    aStranger: String(stranger.id),
    aTemplate: tpl.data.createMessageTemplate.id,
  };
  let n = 990_000;
  const fake = () => String(n++);
  ghost = {
    A: fake(),
    aMembers: ids.aMembers.map(fake),
    aHouseholds: ids.aHouseholds.map(fake),
    aGroups: ids.aGroups.map(fake),
    zebulon: fake(),
    aTargetUser: fake(),
    aMessage: fake(),
    aEvent: fake(),
    aOccurrences: occurrenceIds.map((o) => `${fake()}${o.slice(o.indexOf('@'))}`),
    aField: fake(),
    aTag: fake(),
    aLists: aLists.map(fake),
    aConversation: fake(),
    aStranger: fake(),
    aTemplate: fake(),
  };

  await sql`UPDATE members SET email = ${A_BOUNCED} WHERE id = ${Number(ids.aMembers[1])}`;
  await sql`INSERT INTO email_suppressions (email, reason, detail) VALUES (${A_BOUNCED}, 'undeliverable', '550 alpha secret mailbox')`;

  // Markers: every string of A's data that nothing of B (nor the default caller) contains.
  const aStrings = await sql<{ v: string }[]>`
    SELECT v FROM (
      SELECT name AS v FROM churches WHERE id = ${a.churchId}
      UNION SELECT slug FROM churches WHERE id = ${a.churchId}
      UNION SELECT sms_from_number FROM churches WHERE id = ${a.churchId}
      UNION SELECT last_name FROM members WHERE church_id = ${a.churchId}
      UNION SELECT first_name || ' ' || last_name FROM members WHERE church_id = ${a.churchId}
      UNION SELECT email FROM members WHERE church_id = ${a.churchId}
      UNION SELECT phone FROM members WHERE church_id = ${a.churchId}
      UNION SELECT name FROM households WHERE church_id = ${a.churchId}
      UNION SELECT name FROM groups WHERE church_id = ${a.churchId}
      UNION SELECT description FROM groups WHERE church_id = ${a.churchId}
      UNION SELECT name FROM events WHERE church_id = ${a.churchId}
      UNION SELECT description FROM events WHERE church_id = ${a.churchId}
      UNION SELECT name FROM custom_fields WHERE church_id = ${a.churchId}
      UNION SELECT description FROM custom_fields WHERE church_id = ${a.churchId}
      UNION SELECT value_text FROM member_field_values WHERE church_id = ${a.churchId}
      UNION SELECT name FROM tags WHERE church_id = ${a.churchId}
      UNION SELECT name FROM smart_lists WHERE church_id = ${a.churchId}
      UNION SELECT description FROM smart_lists WHERE church_id = ${a.churchId}
      UNION SELECT u.email FROM users u JOIN church_roles r ON r.user_id = u.id AND r.church_id = ${a.churchId}
      UNION SELECT t.name FROM api_tokens t JOIN church_roles r ON r.user_id = t.user_id AND r.church_id = ${a.churchId}
      UNION SELECT t.prefix FROM api_tokens t JOIN church_roles r ON r.user_id = t.user_id AND r.church_id = ${a.churchId}
    ) x WHERE v IS NOT NULL`;
  const bText = JSON.stringify(
    await sql`
      SELECT (SELECT json_agg(c) FROM churches c WHERE c.id = ${b.churchId}) AS c,
             (SELECT json_agg(m) FROM members m WHERE m.church_id = ${b.churchId}) AS m,
             (SELECT json_agg(h) FROM households h WHERE h.church_id = ${b.churchId}) AS h,
             (SELECT json_agg(g) FROM groups g WHERE g.church_id = ${b.churchId}) AS g,
             (SELECT json_agg(json_build_object('email', u.email, 'name', u.name)) FROM users u
                WHERE u.id IN (SELECT user_id FROM church_roles WHERE church_id = ${b.churchId})) AS u,
             (SELECT json_agg(t.name || ' ' || t.prefix) FROM api_tokens t
                WHERE t.user_id IN (SELECT user_id FROM church_roles WHERE church_id = ${b.churchId})) AS t`,
  ).toLowerCase();
  const always = ['Alpha secret announcement', 'Alpha secret inbox reply', 'Alpha secret template', 'Alpha secret words', 'Alpha stranger asks', A_NAME, A_SLUG, 'Zebulon', 'Leakcheck', 'alpha.example', ZEBULON.phone, '3125550177', 'alpha hearth', 'alpha circle'];
  markers = [...new Set([...always, ...aStrings.map((r) => r.v)].map((m) => m.toLowerCase()))].filter(
    (m) => m.length >= 3 && !bText.includes(m),
  );
  // the fixture really is distinctive: A-only surnames, emails and phones are in the list
  for (const m of ['alpha secret field', 'alpha secret answer', 'alpha secret tag', 'alpha secret list', 'leakcheck', 'brown', 'clark', 'davis', 'person39@example.org', ZEBULON.email, 'alpha nightly export']) {
    expect(markers).toContain(m);
  }
  expect(markers).not.toContain('adams'); // in B as well

  checksumBefore = await checksum();
});
afterAll(() => s?.close());

// ---------------------------------------------------------------------------------------------

describe('the case table covers the whole API', () => {
  it('every root field of the served schema has a case or a NOT_CHURCH_DATA reason', async () => {
    const fields = await rootFields();
    expect(fields.length).toBeGreaterThan(30);
    const missing = fields.filter((f) => !(f in CASES) && !(f in WS_CASES) && !NOT_CHURCH_DATA.has(f as CaseKey));
    expect(missing, 'root fields with no isolation case: add them to CASES (or NOT_CHURCH_DATA with a reason)').toEqual([]);
    // no stale entries, no field in both lists
    expect(caseKeys().filter((k) => !fields.includes(k))).toEqual([]);
    expect([...NOT_CHURCH_DATA.keys()].filter((k) => !fields.includes(k))).toEqual([]);
    expect(caseKeys().filter((k) => NOT_CHURCH_DATA.has(k))).toEqual([]);
    for (const reason of NOT_CHURCH_DATA.values()) expect(reason.length).toBeGreaterThan(5);
  });

  it('every query case works for the OWNER of A and shows A’s data (positive control)', async () => {
    for (const k of caseKeys().filter((k) => !isMutation(k))) {
      const r = await raw(caseOf(k, ids), s.adminHeaders);
      expect(r.body.errors, `${k} as OWNER of A: ${r.text}`).toBeUndefined();
      expect(r.body.data, k).toBeTruthy();
      // the leak detector would have caught this answer: the case really reaches A's data
      const c = caseOf(k, ids);
      if (c.countsOnly) expect(c.countsOnly(r.body.data!), `${k} as OWNER of A: ${r.text}`).toBe(true);
      else expect(leaks(r.text).length, `${k} as OWNER of A shows no marker of A: ${r.text}`).toBeGreaterThan(0);
    }
    // the answers above are deep: A's marker person shows up through member, household and group
    for (const k of ['Query.member', 'Query.household', 'Query.group', 'Query.members'] as const) {
      const r = await raw(caseOf(k, ids), s.adminHeaders);
      expect(r.text, k).toContain('Leakcheck');
      expect(r.text, k).toContain(ZEBULON.phone);
    }
  });
});

describe('anonymous callers', () => {
  it('get UNAUTHENTICATED for every case, with nothing of A and no hint whether the ids exist', async () => {
    for (const k of caseKeys()) {
      const r = await raw(caseOf(k, ids), anonymous.headers);
      expectCode(`${k} anonymous`, r, 'UNAUTHENTICATED');
      expectNoLeak(`${k} anonymous`, r);
      const g = await raw(caseOf(k, ghost), anonymous.headers);
      expect(shape(r), `${k} anonymous: a real id of A answers unlike a missing one`).toEqual(shape(g));
    }
    expect(await checksum()).toBe(checksumBefore);
  });
});

describe('callers from another church', () => {
  it('get NOT_FOUND (FORBIDDEN for platform operations), nothing of A, and the same answer as for ids that do not exist', async () => {
    for (const caller of [staffB, adminB, tokenAdminB]) {
      for (const k of caseKeys()) {
        const c = caseOf(k, ids);
        const label = `${k} as ${caller.name}`;
        const r = await raw(c, caller.headers);
        expectNoLeak(label, r);
        if (c.list) {
          expect(r.body.errors, `${label}: ${r.text}`).toBeUndefined();
          const nodes = r.body.data!.churches.nodes as Array<{ id: string }>;
          expect(nodes.map((n) => n.id)).not.toContain(ids.A);
          continue;
        }
        expectCode(label, r, c.needs === 'platform' ? 'FORBIDDEN' : 'NOT_FOUND');
        const g = await raw(caseOf(k, ghost), caller.headers);
        expect(shape(r), `${label}: a real id of A answers unlike a missing one:\n${r.text}\n${g.text}`).toEqual(shape(g));
      }
    }
    expect(await checksum(), 'a hostile call wrote to church A (or created rows)').toBe(checksumBefore);
  });

  it('lists only their own church, and nested paths never reach A', async () => {
    const list = await raw(caseOf('Query.churches', ids), staffB.headers);
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data!.churches.totalCount).toBe(1);
    expect(list.body.data!.churches.nodes.map((n: { id: string }) => n.id)).toEqual([String(b.churchId)]);

    const me = await raw({ query: `{ me { user { ${USER} } churches { role church { ${CHURCH} } } } }`, variables: {} }, staffB.headers);
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data!.me.churches.map((c: { church: { id: string } }) => c.church.id)).toEqual([String(b.churchId)]);
    expectNoLeak('me as STAFF of B', me);

    // B's directory, whole, with every relation: B's people only
    const dir = await raw(
      {
        query: `query($id: ID!) { church(id: $id) { id name memberCount
          members(first: 100) { totalCount nodes { ${PERSON} household { id name members { ${PERSON} } } groups { id name } } }
          groups(first: 10) { nodes { id name members(first: 100) { nodes { ${PERSON} } } } } } }`,
        variables: { id: String(b.churchId) },
      },
      staffB.headers,
    );
    expect(dir.body.errors, dir.text).toBeUndefined();
    expect(dir.body.data!.church.members.totalCount).toBe(12);
    const memberIds = dir.body.data!.church.members.nodes.map((m: { id: string }) => Number(m.id)).sort((x: number, y: number) => x - y);
    expect(memberIds).toEqual([...b.memberIds].sort((x, y) => x - y));
    expectNoLeak('church(B) directory as STAFF of B', dir);

    // A's group or household as a filter of B's directory (top level and nested)
    for (const [filter, field] of [
      [{ groupId: ids.aGroups[0] }, 'filter.groupId'],
      [{ householdId: ids.aHouseholds[0] }, 'filter.householdId'],
    ] as const) {
      const top = await raw(
        { query: 'query($c: ID!, $f: MemberFilter) { members(churchId: $c, filter: $f) { totalCount nodes { id lastName } } }', variables: { c: String(b.churchId), f: filter } },
        staffB.headers,
      );
      expectCode(`members(B, ${field} of A)`, top, 'NOT_FOUND');
      expect(top.body.errors![0]!.extensions!.field).toBe(field);
      expectNoLeak(`members(B, ${field} of A)`, top);
      const nested = await raw(
        { query: 'query($c: ID!, $f: MemberFilter) { church(id: $c) { name members(filter: $f) { totalCount nodes { id lastName } } } }', variables: { c: String(b.churchId), f: filter } },
        staffB.headers,
      );
      expect(nested.body.errors?.[0]?.extensions?.code, nested.text).toBe('NOT_FOUND');
      expect(nested.body.data?.church ?? null).toBeNull(); // members is non-null: the error nulls the church
      expectNoLeak(`church(B).members(${field} of A)`, nested);
    }

    // an A member paired with B's objects
    const crossCases: Array<[string, { query: string; variables: Record<string, unknown> }, string]> = [
      [
        'addGroupMember(B group, A member)',
        { query: `mutation($input: AddGroupMemberInput!) { addGroupMember(input: $input) { role member { ${PERSON} } } }`, variables: { input: { groupId: String(b.groupIds[0]), memberId: ids.zebulon } } },
        'input.memberId',
      ],
      [
        'addGroupMember(A group, B member)',
        { query: `mutation($input: AddGroupMemberInput!) { addGroupMember(input: $input) { role group { name } } }`, variables: { input: { groupId: ids.aGroups[0], memberId: String(b.memberIds[0]) } } },
        'input.groupId',
      ],
      [
        'removeGroupMember(B group, A member)',
        { query: 'mutation($g: ID!, $m: ID!) { removeGroupMember(groupId: $g, memberId: $m) { role } }', variables: { g: String(b.groupIds[0]), m: ids.aMembers[0] } },
        'memberId',
      ],
      [
        'createMember(B, household of A)',
        { query: 'mutation($input: CreateMemberInput!) { createMember(input: $input) { id household { name } } }', variables: { input: { churchId: String(b.churchId), firstName: 'X', lastName: 'Y', householdId: ids.aHouseholds[0] } } },
        'input.householdId',
      ],
      [
        'updateMember(B member, household of A)',
        { query: 'mutation($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { id household { name } } }', variables: { id: String(b.memberIds[0]), input: { householdId: ids.aHouseholds[0] } } },
        'input.householdId',
      ],
      [
        'setChurchUserRole(B, user of A only)',
        { query: 'mutation($c: ID!, $u: ID!) { setChurchUserRole(churchId: $c, userId: $u, role: VIEWER) { role user { email name } } }', variables: { c: String(b.churchId), u: String(viewerA.id) } },
        'userId',
      ],
      [
        'removeChurchUser(B, user of A only)',
        { query: 'mutation($c: ID!, $u: ID!) { removeChurchUser(churchId: $c, userId: $u) }', variables: { c: String(b.churchId), u: String(viewerA.id) } },
        'userId',
      ],
    ];
    for (const [label, c, field] of crossCases) {
      // STAFF of B can write in B: only the foreign object stops these (user management: ADMIN of B)
      const caller = label.includes('ChurchUser') ? adminB : staffB;
      const r = await raw(c, caller.headers);
      expectCode(`${label} as ${caller.name}`, r, 'NOT_FOUND');
      expect(r.body.errors![0]!.extensions!.field, r.text).toBe(field);
      expectNoLeak(label, r);
    }
    expect(await checksum()).toBe(checksumBefore);
  });

  it('cannot see or revoke the API tokens of A’s users', async () => {
    const mine = await raw({ query: '{ apiTokens(first: 100) { totalCount nodes { id name prefix } } }', variables: {} }, adminB.headers);
    expect(mine.body.errors).toBeUndefined();
    expect(mine.body.data!.apiTokens.nodes.map((t: { name: string }) => t.name)).toEqual(['bravo script']);
    expectNoLeak('apiTokens as ADMIN of B', mine);
    const revoke = { query: 'mutation($id: ID!) { revokeApiToken(id: $id) { id name prefix revokedAt } }', variables: { id: aOwnerTokenId } };
    const r = await raw(revoke, adminB.headers);
    expectCode('revokeApiToken(token of A’s owner) as ADMIN of B', r, 'NOT_FOUND');
    expectNoLeak('revokeApiToken as ADMIN of B', r);
    expect(shape(r)).toEqual(shape(await raw({ ...revoke, variables: { id: '987654' } }, adminB.headers)));
    expectCode('revokeApiToken as STAFF of B', await raw(revoke, staffB.headers), 'FORBIDDEN');
    expect(await checksum()).toBe(checksumBefore);
  });
});

describe('roles within a church', () => {
  it('a VIEWER of A reads A (positive control with a plain role) but every write and user management is FORBIDDEN', async () => {
    for (const k of caseKeys()) {
      const c = caseOf(k, ids);
      const r = await raw(c, viewerA.headers);
      if (c.needs === 'viewer') {
        expect(r.body.errors, `${k} as VIEWER of A: ${r.text}`).toBeUndefined();
        expect(leaks(r.text).length, `${k} as VIEWER of A`).toBeGreaterThan(0);
      } else {
        expectCode(`${k} as VIEWER of A`, r, 'FORBIDDEN');
      }
    }
    const m = await raw(caseOf('Query.member', ids), viewerA.headers);
    expect(m.body.data!.member).toMatchObject({ id: ids.zebulon, firstName: 'Zebulon', lastName: 'Leakcheck', email: ZEBULON.email });
    expect(await checksum()).toBe(checksumBefore);
  });

  it('a STAFF of A cannot manage users, tokens or the church record', async () => {
    for (const k of caseKeys()) {
      const c = caseOf(k, ids);
      if (c.needs !== 'admin' && c.needs !== 'platform') continue;
      expectCode(`${k} as STAFF of A`, await raw(c, staffA.headers), 'FORBIDDEN');
    }
    expectCode('apiTokens as STAFF of A', await raw({ query: '{ apiTokens { totalCount } }', variables: {} }, staffA.headers), 'FORBIDDEN');
    expect(await checksum()).toBe(checksumBefore);
  });

  it('user management of B needs ADMIN: STAFF of B is FORBIDDEN, ADMIN of B may list B’s users (without A’s)', async () => {
    const B = String(b.churchId);
    const ops: Array<[string, { query: string; variables: Record<string, unknown> }]> = [
      ['churchUsers(B)', { query: `query($c: ID!) { churchUsers(churchId: $c) { totalCount nodes { role user { ${USER} } } } }`, variables: { c: B } }],
      [
        'addChurchUser(B)',
        { query: 'mutation($input: AddChurchUserInput!) { addChurchUser(input: $input) { role } }', variables: { input: { churchId: B, email: 'new-b@bravo.test', name: 'New B', password: 'a long enough password', role: 'VIEWER' } } },
      ],
      ['setChurchUserRole(B)', { query: 'mutation($c: ID!, $u: ID!) { setChurchUserRole(churchId: $c, userId: $u, role: VIEWER) { role } }', variables: { c: B, u: String(adminB.id) } }],
      ['removeChurchUser(B)', { query: 'mutation($c: ID!, $u: ID!) { removeChurchUser(churchId: $c, userId: $u) }', variables: { c: B, u: String(adminB.id) } }],
      ['updateChurch(B)', { query: 'mutation($id: ID!) { updateChurch(id: $id, input: { name: "Taken Over" }) { name } }', variables: { id: B } }],
    ];
    const rolesBefore = await s.database.sql`SELECT user_id, role FROM church_roles WHERE church_id = ${b.churchId} ORDER BY user_id`;
    for (const [label, c] of ops) expectCode(`${label} as STAFF of B`, await raw(c, staffB.headers), 'FORBIDDEN');
    expect(await s.database.sql`SELECT user_id, role FROM church_roles WHERE church_id = ${b.churchId} ORDER BY user_id`).toEqual(rolesBefore);
    const [{ name }] = await s.database.sql<[{ name: string }]>`SELECT name FROM churches WHERE id = ${b.churchId}`;
    expect(name).toBe(B_NAME);

    const users = await raw(ops[0]![1], adminB.headers);
    expect(users.body.errors, users.text).toBeUndefined();
    const emails = users.body.data!.churchUsers.nodes.map((n: { user: { email: string } }) => n.user.email).sort();
    expect(emails).toEqual(['admin-b@bravo.test', 'staff-b@bravo.test', 'tester@steeple.test']);
    expectNoLeak('churchUsers(B) as ADMIN of B', users);
  });
});

describe('platform operations', () => {
  it('are refused to anonymous callers (UNAUTHENTICATED) and to church users, even OWNERs (FORBIDDEN)', async () => {
    const platform = caseKeys().filter((k) => caseOf(k, ids).needs === 'platform');
    expect(platform.sort()).toEqual([
      'Mutation.clearFailedJobs',
      'Mutation.createChurch',
      'Mutation.deactivateUser',
      'Mutation.invalidateCache',
      'Mutation.pauseQueue',
      'Mutation.reactivateUser',
      'Mutation.resetCacheMetrics',
      'Mutation.resumeQueue',
      'Mutation.retryFailedJobs',
      'Query.cacheHealth',
      'Query.cacheMetrics',
      'Query.failedJobs',
      'Query.queueHealth',
      'Query.queueMetrics',
    ]);
    for (const k of platform) {
      const c = caseOf(k, ids);
      expectCode(`${k} anonymous`, await raw(c, anonymous.headers), 'UNAUTHENTICATED');
      for (const caller of [staffB, adminB, tokenAdminB, viewerA, staffA, ownerA]) {
        const r = await raw(c, caller.headers);
        expectCode(`${k} as ${caller.name}`, r, 'FORBIDDEN');
        if (caller !== ownerA && caller !== viewerA && caller !== staffA) expectNoLeak(`${k} as ${caller.name}`, r);
      }
    }
    // deactivating B's own staff is a platform operation too
    const own = { query: 'mutation($u: ID!) { deactivateUser(userId: $u) { id deactivatedAt } }', variables: { u: String(staffB.id) } };
    expectCode('deactivateUser(B staff) as ADMIN of B', await raw(own, adminB.headers), 'FORBIDDEN');
    expect(await checksum()).toBe(checksumBefore);
    const [{ n }] = await s.database.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM users WHERE deactivated_at IS NOT NULL`;
    expect(n).toBe(0);
  });
});

describe('fields that hold no church data', () => {
  it('answer anonymous callers as documented', async () => {
    const me = await raw({ query: '{ me { user { id email } } }', variables: {} }, anonymous.headers);
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data).toEqual({ me: null });
    const out = await raw({ query: 'mutation { logout }', variables: {} }, anonymous.headers);
    expect(out.body.errors).toBeUndefined();
    expect(out.body.data).toEqual({ logout: false });

    // bad credentials: the same answer whether the account (a user of A) exists or not
    const login = (email: string) =>
      raw({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id email name } }', variables: { e: email, p: 'wrong password here' } }, anonymous.headers);
    const known = await login('viewer-a@alpha.example');
    const unknown = await login('nobody-here@alpha.example');
    expectCode('login with a wrong password', known, 'UNAUTHENTICATED');
    expectCode('login with an unknown email', unknown, 'UNAUTHENTICATED');
    expect(shape(known)).toEqual(shape(unknown));
    expect(known.text).not.toMatch(/set-cookie/i);

    for (const [label, query] of [
      ['changePassword', 'mutation { changePassword(currentPassword: "whatever it is", newPassword: "a brand new password") }'],
      ['apiTokens', '{ apiTokens { totalCount nodes { id name } } }'],
      ['createApiToken', 'mutation { createApiToken(input: { name: "anon" }) { token } }'],
      ['revokeApiToken', `mutation { revokeApiToken(id: "${aOwnerTokenId}") { id name } }`],
    ] as const) {
      const r = await raw({ query, variables: {} }, anonymous.headers);
      expectCode(`${label} anonymous`, r, 'UNAUTHENTICATED');
      expectNoLeak(`${label} anonymous`, r);
    }
    expect(await checksum()).toBe(checksumBefore);
  });
});

describe('a check-in token (door tablet) of A', () => {
  const ALLOWED = new Set<CaseKey>(['Query.checkInSearch', 'Query.checkInOccurrences', 'Mutation.checkIn', 'Mutation.checkInHousehold']);

  it('finds A’s people and checks them in, and every other field of the API refuses it', async () => {
    const made = await s.gql<any>(
      'mutation($c: ID!) { createApiToken(input: { name: "Alpha Door", kind: CHECK_IN, churchId: $c }) { token apiToken { id kind churchId } } }',
      { c: ids.A },
      ownerA.headers,
    );
    expect(made.errors).toBeUndefined();
    expect(made.data.createApiToken.apiToken).toMatchObject({ kind: 'CHECK_IN', churchId: ids.A });
    const kiosk = { authorization: `Bearer ${made.data.createApiToken.token}` };
    // B's admin cannot make one for A
    const foreign = await raw(
      { query: 'mutation($c: ID!) { createApiToken(input: { name: "x", kind: CHECK_IN, churchId: $c }) { token } }', variables: { c: ids.A } },
      adminB.headers,
    );
    expectCode('createApiToken(CHECK_IN, A) as ADMIN of B', foreign, 'NOT_FOUND');

    for (const k of caseKeys()) {
      const r = await raw(caseOf(k, ids), kiosk);
      if (ALLOWED.has(k)) {
        expect(r.body.errors, `${k} as A's check-in token: ${r.text}`).toBeUndefined();
        continue;
      }
      if (k === 'Query.churches') {
        expect(r.body.errors, r.text).toBeUndefined();
        expect(r.body.data!.churches.nodes).toEqual([]);
        continue;
      }
      expect(r.body.errors?.[0]?.extensions?.code, `${k} as A's check-in token: ${r.text}`).toMatch(/^(NOT_FOUND|FORBIDDEN)$/);
      expectNoLeak(`${k} as A's check-in token`, r);
    }
    for (const query of ['{ me { user { email } } }', '{ apiTokens { nodes { id } } }', 'mutation { createApiToken(input: { name: "more" }) { token } }',
      'mutation { changePassword(currentPassword: "correct horse battery staple", newPassword: "a brand new password") }']) {
      const r = await raw({ query, variables: {} }, kiosk);
      expectCode(`${query} as A's check-in token`, r, 'FORBIDDEN');
    }
    // what it may see of a person: a name and a household, never a phone or an email
    const found = await raw(caseOf('Query.checkInSearch', ids), kiosk);
    expect(found.body.data!.checkInSearch).toEqual([expect.objectContaining({ id: ids.zebulon, firstName: 'Zebulon', lastName: 'Leakcheck' })]);
    expect(found.text).not.toContain(ZEBULON.phone);
    // a phone fragment finds too
    const byPhone = await raw({ query: 'query($c: ID!) { checkInSearch(churchId: $c, search: "555-0177") { id } }', variables: { c: ids.A } }, kiosk);
    expect(byPhone.body.data!.checkInSearch).toEqual([{ id: ids.zebulon }]);
    // and nothing of B
    const other = await raw({ query: 'query($c: ID!) { checkInSearch(churchId: $c, search: "adams") { id } }', variables: { c: String(b.churchId) } }, kiosk);
    expectCode('checkInSearch(B) as A’s check-in token', other, 'NOT_FOUND');
    // revoked: nothing at all
    const rv = await s.gql<any>('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: made.data.createApiToken.apiToken.id }, ownerA.headers);
    expect(rv.errors).toBeUndefined();
    expectCode('checkInSearch with a revoked check-in token', await raw(caseOf('Query.checkInSearch', ids), kiosk), 'UNAUTHENTICATED');
  });
});

describe('email beside SMS', () => {
  const PREVIEW_EMAIL = `query($c: ID!, $m: [ID!]) { previewMessage(churchId: $c, channel: EMAIL, subject: "Iso", body: "Hello", audience: { memberIds: $m }) {
    recipientCount audienceCount skipped { optedOut noEmail sharedEmail undeliverable complained } } }`;
  const SEND_EMAIL = 'mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, channel: EMAIL, subject: "Iso", body: "Iso hello", audience: { memberIds: $m }) { id subject body } }';
  const emailCases = (i: Ids) => [
    { name: 'previewMessage(EMAIL)', query: PREVIEW_EMAIL, variables: { c: i.A, m: [i.zebulon] } },
    { name: 'sendMessage(EMAIL)', query: SEND_EMAIL, variables: { c: i.A, m: [i.zebulon] } },
  ];

  it('previewMessage and sendMessage with channel EMAIL: UNAUTHENTICATED, NOT_FOUND for another church (as for ids that do not exist), FORBIDDEN for a VIEWER', async () => {
    const cases = emailCases(ids);
    const ghosts = emailCases(ghost);
    // the check-in token's positive control (above) wrote to A: compare with A as it is now
    const before = await checksum();
    for (const [n, c] of cases.entries()) {
      const anon = await raw(c, anonymous.headers);
      expectCode(`${c.name} anonymous`, anon, 'UNAUTHENTICATED');
      expectNoLeak(`${c.name} anonymous`, anon);
      for (const caller of [staffB, adminB, tokenAdminB]) {
        const r = await raw(c, caller.headers);
        expectCode(`${c.name} as ${caller.name}`, r, 'NOT_FOUND');
        expectNoLeak(`${c.name} as ${caller.name}`, r);
        expect(shape(r), `${c.name} as ${caller.name}: a real id of A answers unlike a missing one`).toEqual(shape(await raw(ghosts[n]!, caller.headers)));
      }
      const v = await raw(c, viewerA.headers);
      expectCode(`${c.name} as VIEWER of A`, v, 'FORBIDDEN');
    }
    expect(await checksum()).toBe(before);
    // positive control: the preview counts A's marker person (who has an email)
    const own = await raw(cases[0]!, s.adminHeaders);
    expect(own.body.errors, own.text).toBeUndefined();
    expect(own.body.data!.previewMessage.recipientCount).toBe(1);
  });

  it('an unsubscribe link names its church and person: altered, or signed for a person of another church, it records nothing', async () => {
    const secret = s.config.email.unsubscribeSecret;
    const { unsubscribeToken, unsubscribeUrl } = await import('../src/email/unsubscribe-token.js');
    const post = (token: string) => fetch(unsubscribeUrl(s.url, token), { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    // A's person under church B's id: a token with the real secret, but no such person in B
    const crossed = unsubscribeToken(secret, { churchId: b.churchId, memberId: Number(ids.zebulon), email: ZEBULON.email });
    const r1 = await post(crossed);
    expect(r1.status).toBe(400);
    expect(leaks(await r1.text())).toEqual([]);
    // A's own token with its church id swapped in the payload (the signature no longer matches)
    const good = unsubscribeToken(secret, { churchId: a.churchId, memberId: Number(ids.zebulon), email: ZEBULON.email });
    const [payload, sig] = good.split('.');
    const swapped = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace(`v1.${a.churchId}.`, `v1.${b.churchId}.`)).toString('base64url');
    expect((await post(`${swapped}.${sig}`)).status).toBe(400);
    expect((await fetch(unsubscribeUrl(s.url, `${swapped}.${sig}`))).status).toBe(400);
    expect((await s.database.sql`SELECT 1 FROM email_consents WHERE member_id = ${Number(ids.zebulon)}`).length).toBe(0);
    // positive control: A's own link shows A's page (and a GET changes nothing)
    const page = await fetch(unsubscribeUrl(s.url, good));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(A_NAME);
    expect((await s.database.sql`SELECT 1 FROM email_consents WHERE member_id = ${Number(ids.zebulon)}`).length).toBe(0);
  });

  it('the bounce webhook answers 404 while no EMAIL_WEBHOOK_SECRET is set, and marks nothing', async () => {
    const r = await fetch(`${s.url}/webhooks/email/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ZEBULON.email, type: 'complaint' }) });
    expect(r.status).toBe(404);
    expect((await s.database.sql`SELECT 1 FROM email_suppressions WHERE email = ${ZEBULON.email}`).length).toBe(0);
  });
});

describe('positive controls for the mutation cases (last: they change A)', () => {
  it('every mutation case succeeds for the OWNER of A, and the checksum notices the writes', async () => {
    for (const k of caseKeys().filter(isMutation)) {
      const r = await raw(caseOf(k, ids), s.adminHeaders);
      expect(r.body.errors, `${k} as OWNER of A + platform admin: ${r.text}`).toBeUndefined();
      expect(r.body.data?.[k.slice('Mutation.'.length)] ?? null, `${k}: ${r.text}`).not.toBeNull();
      if (k === 'Mutation.importMembers') expect(r.body.data!.importMembers).toMatchObject({ imported: 1, errors: [] });
    }
    // the guard of the hostile tests can fail: the same checksum sees these writes
    expect(await checksum()).not.toBe(checksumBefore);
  });
});

describe('subscriptions over WebSocket', () => {
  for (const k of Object.keys(WS_CASES) as CaseKey[]) {
    it(`${k}: anonymous UNAUTHENTICATED, another church NOT_FOUND and no trace of A; A's VIEWER receives`, async () => {
      const c = WS_CASES[k]!(ids);
      const anon = await subscribe(s.url, c.query, c.variables, { headers: {} });
      expect(anon.errors[0]?.extensions?.code, anon.raw).toBe('UNAUTHENTICATED');
      expect(anon.events).toEqual([]);
      expect(leaks(anon.raw)).toEqual([]);
      for (const caller of [staffB, adminB]) {
        const r = await subscribe(s.url, c.query, c.variables, { headers: caller.headers });
        expect(r.errors[0]?.extensions?.code, `${caller.name}: ${r.raw}`).toBe('NOT_FOUND');
        expect(r.events).toEqual([]);
        expect(leaks(r.raw), `${caller.name} leaked over ws:\n${r.raw}`).toEqual([]);
        const g = await subscribe(s.url, c.query, WS_CASES[k]!(ghost).variables, { headers: caller.headers });
        expect(g.errors.map((e) => e.extensions?.code)).toEqual(r.errors.map((e) => e.extensions?.code));
      }
      const token = await subscribe(s.url, c.query, c.variables, { connectionParams: { authorization: tokenAdminB.headers.authorization } });
      expect(token.errors[0]?.extensions?.code, token.raw).toBe('NOT_FOUND');
      expect(leaks(token.raw)).toEqual([]);
      if (k === 'Subscription.messageProgress') {
        const ok = await subscribe(s.url, c.query, c.variables, { headers: viewerA.headers });
        expect(ok.errors, ok.raw).toEqual([]);
        expect(ok.events[0]!.messageProgress.messageId).toBe(ids.aMessage);
        return;
      }
      // the inbox sends nothing until something happens: an event of A's, as the webhook publishes it
      const pending = subscribe(s.url, c.query, c.variables, { headers: viewerA.headers, timeoutMs: 4000 });
      await new Promise((r) => setTimeout(r, 600));
      const [row] = await s.database.sql<[{ id: number }]>`SELECT id FROM conversation_messages WHERE conversation_id = ${Number(ids.aConversation)} AND direction = 'inbound' ORDER BY id LIMIT 1`;
      const kind = k === 'Subscription.inboxMessageReceived' ? 'message' : 'conversation';
      await s.deps.pubsub.publish(inboxTopic(s.deps.progress.channels, a.churchId), {
        churchId: a.churchId,
        conversationId: Number(ids.aConversation),
        kind,
        conversationMessageId: row.id,
      });
      const ok = await pending;
      expect(ok.errors, ok.raw).toEqual([]);
      expect(ok.raw).toContain(ZEBULON.phone);
    });
  }
});
