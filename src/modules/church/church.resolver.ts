import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CreateChurchInput, UpdateChurchInput } from './church.input.js';
import { createChurch, getChurch, listChurches, updateChurch } from './church.service.js';
import { Church } from './church.type.js';
import { connectionTypes } from '../../graphql/connection.js';

// Church's lists (members, memberCount, groups, households) are resolved by the modules that own
// them (member, group, household resolvers): a church knows nothing of them, so no module folder
// depends on another in a cycle.

const { Conn: ChurchConnection } = connectionTypes('Church', Church);

@Resolver(() => Church)
export class ChurchResolver {
  @Query(() => Church)
  church(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return getChurch({ scope: ctx, id });
  }

  @Query(() => ChurchConnection, { description: 'Churches by name, paginated (first ≤ 100).' })
  churches(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) f: number,
    @Arg('after', () => String, { nullable: true }) a?: string,
  ) {
    return listChurches({ scope: ctx, first: f, after: a });
  }

  @Mutation(() => Church)
  createChurch(@Ctx() ctx: Context, @Arg('input', () => CreateChurchInput) input: CreateChurchInput) {
    return createChurch({ scope: ctx, input });
  }

  @Mutation(() => Church)
  updateChurch(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateChurchInput) input: UpdateChurchInput) {
    return updateChurch({ scope: ctx, id, input });
  }
}
