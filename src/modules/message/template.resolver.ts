import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CreateTemplateInput, UpdateTemplateInput } from './template.input.js';
import { createTemplate, listTemplates, setTemplateArchived, updateTemplate } from './template.service.js';
import { MessageTemplate, MessageTemplateConnection } from './template.type.js';

@Resolver(() => MessageTemplate)
export class MessageTemplateResolver {
  @Query(() => MessageTemplateConnection, { description: "A church's saved messages by name (first ≤ 100); archived: true lists the archived ones." })
  messageTemplates(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('archived', () => Boolean, { nullable: true, defaultValue: false }) archived: boolean,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listTemplates({ scope: ctx, churchId, archived: archived ?? false, first, after });
  }

  @Mutation(() => MessageTemplate, { description: 'Saves a message template (STAFF); merge fields are checked.' })
  createMessageTemplate(@Ctx() ctx: Context, @Arg('input', () => CreateTemplateInput) input: CreateTemplateInput) {
    return createTemplate({ scope: ctx, input });
  }

  @Mutation(() => MessageTemplate, { description: 'Renames or rewrites a live template (STAFF).' })
  updateMessageTemplate(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateTemplateInput) input: UpdateTemplateInput) {
    return updateTemplate({ scope: ctx, id, input });
  }

  @Mutation(() => MessageTemplate, { description: 'Archives a template (STAFF), or restores it with archived: false.' })
  archiveMessageTemplate(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('archived', () => Boolean, { nullable: true, defaultValue: true }) archived: boolean,
  ) {
    return setTemplateArchived({ scope: ctx, id, archived: archived ?? true });
  }
}
