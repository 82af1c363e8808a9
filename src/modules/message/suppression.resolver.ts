import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Member } from '../member/member.type.js';
import type { SuppressionRow } from './suppression.queries.js';
import { clearSuppression, listSuppressions } from './suppression.service.js';
import { EmailSuppression, EmailSuppressionConnection } from './suppression.type.js';

@Resolver(() => EmailSuppression)
export class EmailSuppressionResolver {
  @Query(() => EmailSuppressionConnection, { description: "Bounced and complained addresses of the church's people, by address (STAFF; first ≤ 100)." })
  emailSuppressions(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listSuppressions({ scope: ctx, churchId, first, after });
  }

  @Mutation(() => EmailSuppression, { description: "Lifts a bounce or complaint on an address of the church's people (ADMIN; audited); returns what was lifted." })
  clearEmailSuppression(@Ctx() ctx: Context, @Arg('churchId', () => ID) churchId: string, @Arg('email', () => String) email: string) {
    return clearSuppression({ scope: ctx, churchId, email });
  }

  @FieldResolver(() => [Member], { description: "The church's people holding the address (at most 10)." })
  async members(@Ctx() ctx: Context, @Root() r: SuppressionRow) {
    const rows = await ctx.loaders.member.loadMany(r.memberIds);
    return rows.filter((m) => m && !(m instanceof Error));
  }
}
