import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Church } from '../church/church.type.js';
import { AnalyticsPeriodInput } from './analytics.input.js';
import { getAnalytics } from './analytics.service.js';
import { Analytics } from './analytics.type.js';

@Resolver(() => Analytics)
export class AnalyticsResolver {
  @Query(() => Analytics, {
    description: "Dashboard numbers of a church over a period (default: the last 30 days, in the church's time zone). VIEWER or above.",
  })
  analytics(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('period', () => AnalyticsPeriodInput, { nullable: true }) period?: AnalyticsPeriodInput | null,
  ): Promise<Analytics> {
    return getAnalytics({ scope: ctx, churchId, period });
  }

  @FieldResolver(() => Church)
  async church(@Ctx() ctx: Context, @Root() a: Analytics) {
    return ctx.loaders.church.load(a.churchId);
  }
}
