import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema } from 'type-graphql';
import { directFieldResolvers } from './direct-resolvers.js';
import { AnalyticsResolver } from '../modules/analytics/analytics.resolver.js';
import { AuthResolver } from '../modules/auth/auth.resolver.js';
import { ChurchResolver } from '../modules/church/church.resolver.js';
import { ChurchGroupsResolver, GroupResolver, MemberGroupsResolver } from '../modules/group/group.resolver.js';
import { ChurchHouseholdsResolver, HouseholdResolver } from '../modules/household/household.resolver.js';
import { ChurchMembersResolver, HouseholdMembersResolver, MemberResolver } from '../modules/member/member.resolver.js';
import { MemberMessagesResolver, MessageRecipientResolver, MessageResolver } from '../modules/message/message.resolver.js';
import { CheckInResolver, EventResolver, OccurrenceResolver } from '../modules/event/event.resolver.js';
import { ChurchFieldsResolver, CustomFieldResolver } from '../modules/field/field.resolver.js';
import { ChurchTagsResolver, MemberTagsResolver, TagResolver } from '../modules/tag/tag.resolver.js';
import { ChurchSmartListsResolver, SmartListResolver } from '../modules/smartlist/smartlist.resolver.js';
import { AuditResolver } from '../modules/audit/audit.resolver.js';
import { MergeResolver } from '../modules/merge/merge.resolver.js';
import { MessageTemplateResolver } from '../modules/message/template.resolver.js';
import { ConversationMessageResolver, ConversationResolver } from '../modules/conversation/conversation.resolver.js';
import { OpsResolver } from '../modules/ops/ops.resolver.js';
import { MemberEmailResolver } from '../modules/message/email.resolver.js';
import { EmailSuppressionResolver } from '../modules/message/suppression.resolver.js';

export const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/schema.graphql');

let built: Promise<GraphQLSchema> | undefined;

/** The executable schema, built once per process from the type-graphql resolvers. */
export function getSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    // a module resolves its own fields on other modules' types (Church.members is the member
    // module's), so module folders depend on each other in one direction only
    resolvers: [
      AuthResolver,
      ChurchResolver,
      MemberResolver,
      ChurchMembersResolver,
      HouseholdMembersResolver,
      HouseholdResolver,
      ChurchHouseholdsResolver,
      GroupResolver,
      ChurchGroupsResolver,
      MemberGroupsResolver,
      MessageResolver,
      MemberEmailResolver,
      EmailSuppressionResolver,
      MessageRecipientResolver,
      MemberMessagesResolver,
      MessageTemplateResolver,
      ConversationResolver,
      ConversationMessageResolver,
      OpsResolver,
      AuditResolver,
      MergeResolver,
      AnalyticsResolver,
      EventResolver,
      OccurrenceResolver,
      CheckInResolver,
      CustomFieldResolver,
      ChurchFieldsResolver,
      TagResolver,
      ChurchTagsResolver,
      MemberTagsResolver,
      SmartListResolver,
      ChurchSmartListsResolver,
    ],
    // Inputs are validated in services (one place, errors that name the field); not by class-validator.
    validate: false,
    // subscriptions subscribe through the request context's Redis pub/sub (see
    // progress.subscription.ts); type-graphql insists on an instance, which must never be used
    pubSub: {
      publish: () => {
        throw new Error('publish through ProgressPublisher');
      },
      subscribe: () => {
        throw new Error('subscribe through the context pubsub');
      },
    },
  }).then((schema) => {
    directFieldResolvers(schema);
    return schema;
  });
  return built;
}

/** SDL as committed in schema/schema.graphql: sorted, so the file only changes when the API does. */
export async function printSchemaSdl(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await getSchema()))}\n`;
}
