import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Church } from '../church/church.type.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import { CreateCustomFieldInput, UpdateCustomFieldInput } from './field.input.js';
import type { FieldRow } from './field.queries.js';
import { createField, listFields, missingCount, setFieldArchived, updateField } from './field.service.js';
import { CustomField } from './field.type.js';

@Resolver(() => CustomField)
export class CustomFieldResolver {
  @Query(() => [CustomField], { description: "A church's custom fields in display order (at most 100)." })
  async customFields(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('includeArchived', () => Boolean, { nullable: true, defaultValue: false }) includeArchived: boolean,
  ) {
    const church = await getChurch({ scope: ctx, id: churchId, field: 'churchId' });
    return listFields({ scope: ctx, churchId: church.id, includeArchived });
  }

  @FieldResolver(() => Int, { description: 'Non-archived people without a value (say, to backfill a field that became required).' })
  missingCount(@Ctx() ctx: Context, @Root() f: FieldRow) {
    return missingCount({ scope: ctx, field: f });
  }

  @FieldResolver(() => Church)
  church(@Ctx() ctx: Context, @Root() f: FieldRow) {
    return ctx.loaders.church.load(f.churchId);
  }

  @Mutation(() => CustomField, { description: 'ADMIN and up.' })
  createCustomField(@Ctx() ctx: Context, @Arg('input', () => CreateCustomFieldInput) input: CreateCustomFieldInput) {
    return createField({ scope: ctx, input });
  }

  @Mutation(() => CustomField, { description: 'ADMIN and up.' })
  updateCustomField(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateCustomFieldInput) input: UpdateCustomFieldInput) {
    return updateField({ scope: ctx, id, input });
  }

  @Mutation(() => CustomField, { description: "Hides the field from people's pages and forms; values are kept. ADMIN and up." })
  archiveCustomField(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return setFieldArchived({ scope: ctx, id, archived: true });
  }

  @Mutation(() => CustomField, { description: 'ADMIN and up.' })
  restoreCustomField(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return setFieldArchived({ scope: ctx, id, archived: false });
  }
}

/** A church's fields (the field module's, resolved on Church). */
@Resolver(() => Church)
export class ChurchFieldsResolver {
  @FieldResolver(() => [CustomField], { description: 'Custom fields in display order.' })
  customFields(@Ctx() ctx: Context, @Root() c: ChurchRow, @Arg('includeArchived', () => Boolean, { nullable: true, defaultValue: false }) includeArchived: boolean) {
    return listFields({ scope: ctx, churchId: c.id, includeArchived });
  }
}
