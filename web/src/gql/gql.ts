/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Me {\n    me {\n      user { id name email isPlatformAdmin }\n      churches { role church { id name timeZone } }\n    }\n  }\n": typeof types.MeDocument,
    "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) { id name }\n  }\n": typeof types.SignInDocument,
    "\n  mutation SignOut {\n    logout\n  }\n": typeof types.SignOutDocument,
    "\n  query Directory($churchId: ID!, $first: Int!, $after: String, $filter: MemberFilter, $orderBy: MemberOrderBy) {\n    members(churchId: $churchId, first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id fullName status phone email smsOptedOut household { id name } }\n    }\n  }\n": typeof types.DirectoryDocument,
    "\n  query Groups($churchId: ID!, $after: String) {\n    groups(churchId: $churchId, first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id name kind memberCount }\n    }\n  }\n": typeof types.GroupsDocument,
    "\n  query MemberPage($id: ID!) {\n    member(id: $id) {\n      id fullName status email phone birthDate joinedOn firstVisitOn archivedAt\n      smsOptedOut smsOptedOutAt\n      household { id name members { id fullName } }\n      groups { id name }\n      recentMessages(first: 5) { messageId body status createdAt }\n    }\n  }\n": typeof types.MemberPageDocument,
    "\n  query PreviewText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {\n    previewMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) {\n      audienceCount recipientCount segments characters encoding remainingInSegment estimatedCost sendAt\n      skipped { noPhone optedOut sharedPhone }\n    }\n  }\n": typeof types.PreviewTextDocument,
    "\n  mutation SendText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {\n    sendMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) { id status recipientCount sendAt }\n  }\n": typeof types.SendTextDocument,
    "\n  query MessageStatus($id: ID!) {\n    message(id: $id) {\n      id body status recipientCount segments estimatedCost sendAt completedAt cancelledAt\n      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }\n    }\n  }\n": typeof types.MessageStatusDocument,
    "\n  subscription Progress($id: ID!) {\n    messageProgress(messageId: $id) {\n      messageId status done at\n      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }\n    }\n  }\n": typeof types.ProgressDocument,
    "\n  query QueuePage($offset: Int!) {\n    queueMetrics { waiting active delayed failed completed paused workers sentLastMinute oldestWaitingSeconds }\n    queueHealth { status reasons }\n    failedJobs(limit: 20, offset: $offset) {\n      total\n      jobs { id churchName phone error attempts failedAt }\n    }\n  }\n": typeof types.QueuePageDocument,
    "\n  mutation RetryFailed($ids: [ID!], $all: Boolean) {\n    retryFailedJobs(ids: $ids, all: $all) { retried skipped { id reason } }\n  }\n": typeof types.RetryFailedDocument,
};
const documents: Documents = {
    "\n  query Me {\n    me {\n      user { id name email isPlatformAdmin }\n      churches { role church { id name timeZone } }\n    }\n  }\n": types.MeDocument,
    "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) { id name }\n  }\n": types.SignInDocument,
    "\n  mutation SignOut {\n    logout\n  }\n": types.SignOutDocument,
    "\n  query Directory($churchId: ID!, $first: Int!, $after: String, $filter: MemberFilter, $orderBy: MemberOrderBy) {\n    members(churchId: $churchId, first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id fullName status phone email smsOptedOut household { id name } }\n    }\n  }\n": types.DirectoryDocument,
    "\n  query Groups($churchId: ID!, $after: String) {\n    groups(churchId: $churchId, first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id name kind memberCount }\n    }\n  }\n": types.GroupsDocument,
    "\n  query MemberPage($id: ID!) {\n    member(id: $id) {\n      id fullName status email phone birthDate joinedOn firstVisitOn archivedAt\n      smsOptedOut smsOptedOutAt\n      household { id name members { id fullName } }\n      groups { id name }\n      recentMessages(first: 5) { messageId body status createdAt }\n    }\n  }\n": types.MemberPageDocument,
    "\n  query PreviewText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {\n    previewMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) {\n      audienceCount recipientCount segments characters encoding remainingInSegment estimatedCost sendAt\n      skipped { noPhone optedOut sharedPhone }\n    }\n  }\n": types.PreviewTextDocument,
    "\n  mutation SendText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {\n    sendMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) { id status recipientCount sendAt }\n  }\n": types.SendTextDocument,
    "\n  query MessageStatus($id: ID!) {\n    message(id: $id) {\n      id body status recipientCount segments estimatedCost sendAt completedAt cancelledAt\n      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }\n    }\n  }\n": types.MessageStatusDocument,
    "\n  subscription Progress($id: ID!) {\n    messageProgress(messageId: $id) {\n      messageId status done at\n      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }\n    }\n  }\n": types.ProgressDocument,
    "\n  query QueuePage($offset: Int!) {\n    queueMetrics { waiting active delayed failed completed paused workers sentLastMinute oldestWaitingSeconds }\n    queueHealth { status reasons }\n    failedJobs(limit: 20, offset: $offset) {\n      total\n      jobs { id churchName phone error attempts failedAt }\n    }\n  }\n": types.QueuePageDocument,
    "\n  mutation RetryFailed($ids: [ID!], $all: Boolean) {\n    retryFailedJobs(ids: $ids, all: $all) { retried skipped { id reason } }\n  }\n": types.RetryFailedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      user { id name email isPlatformAdmin }\n      churches { role church { id name timeZone } }\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      user { id name email isPlatformAdmin }\n      churches { role church { id name timeZone } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) { id name }\n  }\n"): (typeof documents)["\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) { id name }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignOut {\n    logout\n  }\n"): (typeof documents)["\n  mutation SignOut {\n    logout\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Directory($churchId: ID!, $first: Int!, $after: String, $filter: MemberFilter, $orderBy: MemberOrderBy) {\n    members(churchId: $churchId, first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id fullName status phone email smsOptedOut household { id name } }\n    }\n  }\n"): (typeof documents)["\n  query Directory($churchId: ID!, $first: Int!, $after: String, $filter: MemberFilter, $orderBy: MemberOrderBy) {\n    members(churchId: $churchId, first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id fullName status phone email smsOptedOut household { id name } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Groups($churchId: ID!, $after: String) {\n    groups(churchId: $churchId, first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id name kind memberCount }\n    }\n  }\n"): (typeof documents)["\n  query Groups($churchId: ID!, $after: String) {\n    groups(churchId: $churchId, first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id name kind memberCount }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MemberPage($id: ID!) {\n    member(id: $id) {\n      id fullName status email phone birthDate joinedOn firstVisitOn archivedAt\n      smsOptedOut smsOptedOutAt\n      household { id name members { id fullName } }\n      groups { id name }\n      recentMessages(first: 5) { messageId body status createdAt }\n    }\n  }\n"): (typeof documents)["\n  query MemberPage($id: ID!) {\n    member(id: $id) {\n      id fullName status email phone birthDate joinedOn firstVisitOn archivedAt\n      smsOptedOut smsOptedOutAt\n      household { id name members { id fullName } }\n      groups { id name }\n      recentMessages(first: 5) { messageId body status createdAt }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PreviewText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {\n    previewMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) {\n      audienceCount recipientCount segments characters encoding remainingInSegment estimatedCost sendAt\n      skipped { noPhone optedOut sharedPhone }\n    }\n  }\n"): (typeof documents)["\n  query PreviewText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {\n    previewMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) {\n      audienceCount recipientCount segments characters encoding remainingInSegment estimatedCost sendAt\n      skipped { noPhone optedOut sharedPhone }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SendText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {\n    sendMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) { id status recipientCount sendAt }\n  }\n"): (typeof documents)["\n  mutation SendText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {\n    sendMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) { id status recipientCount sendAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MessageStatus($id: ID!) {\n    message(id: $id) {\n      id body status recipientCount segments estimatedCost sendAt completedAt cancelledAt\n      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }\n    }\n  }\n"): (typeof documents)["\n  query MessageStatus($id: ID!) {\n    message(id: $id) {\n      id body status recipientCount segments estimatedCost sendAt completedAt cancelledAt\n      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Progress($id: ID!) {\n    messageProgress(messageId: $id) {\n      messageId status done at\n      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }\n    }\n  }\n"): (typeof documents)["\n  subscription Progress($id: ID!) {\n    messageProgress(messageId: $id) {\n      messageId status done at\n      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query QueuePage($offset: Int!) {\n    queueMetrics { waiting active delayed failed completed paused workers sentLastMinute oldestWaitingSeconds }\n    queueHealth { status reasons }\n    failedJobs(limit: 20, offset: $offset) {\n      total\n      jobs { id churchName phone error attempts failedAt }\n    }\n  }\n"): (typeof documents)["\n  query QueuePage($offset: Int!) {\n    queueMetrics { waiting active delayed failed completed paused workers sentLastMinute oldestWaitingSeconds }\n    queueHealth { status reasons }\n    failedJobs(limit: 20, offset: $offset) {\n      total\n      jobs { id churchName phone error attempts failedAt }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RetryFailed($ids: [ID!], $all: Boolean) {\n    retryFailedJobs(ids: $ids, all: $all) { retried skipped { id reason } }\n  }\n"): (typeof documents)["\n  mutation RetryFailed($ids: [ID!], $all: Boolean) {\n    retryFailedJobs(ids: $ids, all: $all) { retried skipped { id reason } }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;