import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Church } from '../church/church.type.js';
import { getChurch } from '../church/church.service.js';
import type { ChurchRow } from '../church/church.queries.js';
import { CreateHouseholdInput, UpdateHouseholdInput } from './household.input.js';
import type { HouseholdRow } from './household.queries.js';
import { createHousehold, getHousehold, listHouseholds, updateHousehold } from './household.service.js';
import { Household, HouseholdConnection } from './household.type.js';

@Resolver(() => Household)
export class HouseholdResolver {
  @Query(() => Household)
  household(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return getHousehold({ scope: ctx, id });
  }

  @Query(() => HouseholdConnection, { description: "A church's households by name, paginated (first ≤ 100)." })
  async households(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    const church = await getChurch({ scope: ctx, id: churchId, field: 'churchId' });
    return listHouseholds({ scope: ctx, church, first, after });
  }

  @FieldResolver(() => Church)
  church(@Ctx() ctx: Context, @Root() h: HouseholdRow) {
    return ctx.loaders.church.load(h.churchId);
  }

  @Mutation(() => Household)
  createHousehold(@Ctx() ctx: Context, @Arg('input', () => CreateHouseholdInput) input: CreateHouseholdInput) {
    return createHousehold({ scope: ctx, input });
  }

  @Mutation(() => Household)
  updateHousehold(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateHouseholdInput) input: UpdateHouseholdInput,
  ) {
    return updateHousehold({ scope: ctx, id, input });
  }
}

/** A church's households (the household module's, resolved on Church). */
@Resolver(() => Church)
export class ChurchHouseholdsResolver {
  @FieldResolver(() => HouseholdConnection)
  households(
    @Ctx() ctx: Context,
    @Root() church: ChurchRow,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listHouseholds({ scope: ctx, church, first, after });
  }
}
