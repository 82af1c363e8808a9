import { graphql } from './gql/index.js';

// Every operation the app sends. Codegen types them and writes their manifest
// (gql/persisted-documents.json); the app sends only their hashes (client.ts).

export const MeQuery = graphql(`
  query Me {
    me {
      user { id name email isPlatformAdmin }
      churches { role church { id name timeZone } }
    }
  }
`);

export const SignInMutation = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    login(email: $email, password: $password) { id name }
  }
`);

export const SignOutMutation = graphql(`
  mutation SignOut {
    logout
  }
`);

export const DirectoryQuery = graphql(`
  query Directory($churchId: ID!, $first: Int!, $after: String, $filter: MemberFilter, $orderBy: MemberOrderBy) {
    members(churchId: $churchId, first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id fullName status phone email smsOptedOut household { id name } }
    }
  }
`);

export const GroupsQuery = graphql(`
  query Groups($churchId: ID!, $after: String) {
    groups(churchId: $churchId, first: 100, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id name kind memberCount }
    }
  }
`);

export const MemberQuery = graphql(`
  query MemberPage($id: ID!) {
    member(id: $id) {
      id fullName status email phone birthDate joinedOn firstVisitOn archivedAt
      smsOptedOut smsOptedOutAt
      household { id name members { id fullName } }
      groups { id name }
      recentMessages(first: 5) { messageId body status createdAt }
    }
  }
`);

export const PreviewQuery = graphql(`
  query PreviewText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {
    previewMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) {
      audienceCount recipientCount segments characters encoding remainingInSegment estimatedCost sendAt
      skipped { noPhone optedOut sharedPhone }
    }
  }
`);

export const SendMutation = graphql(`
  mutation SendText($churchId: ID!, $body: String!, $audience: AudienceInput!, $urgent: Boolean) {
    sendMessage(churchId: $churchId, body: $body, audience: $audience, urgent: $urgent) { id status recipientCount sendAt }
  }
`);

export const MessageQuery = graphql(`
  query MessageStatus($id: ID!) {
    message(id: $id) {
      id body status recipientCount segments estimatedCost sendAt completedAt cancelledAt
      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }
    }
  }
`);

export const ProgressSubscription = graphql(`
  subscription Progress($id: ID!) {
    messageProgress(messageId: $id) {
      messageId status done at
      counts { total queued sending sent delivered failed undelivered unconfirmed skipped cancelled }
    }
  }
`);

export const QueueQuery = graphql(`
  query QueuePage($offset: Int!) {
    queueMetrics { waiting active delayed failed completed paused workers sentLastMinute oldestWaitingSeconds }
    queueHealth { status reasons }
    failedJobs(limit: 20, offset: $offset) {
      total
      jobs { id churchName phone error attempts failedAt }
    }
  }
`);

export const RetryMutation = graphql(`
  mutation RetryFailed($ids: [ID!], $all: Boolean) {
    retryFailedJobs(ids: $ids, all: $all) { retried skipped { id reason } }
  }
`);
