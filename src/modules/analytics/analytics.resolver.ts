import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Church } from '../church/church.type.js';
import { AnalyticsPeriodInput } from './analytics.input.js';
import { getAnalytics, type AnalyticsAnswer } from './analytics.service.js';
import { Analytics } from './analytics.type.js';

/**
 * The fields selected on Analytics, so the service computes only those parts. Undefined (all)
 * when a fragment spread hides the selection; inline fragments are looked into.
 */
function askedFields(info: GraphQLResolveInfo): Set<string> | undefined {
  const out = new Set<string>();
  const walk = (set: SelectionSetNode | undefined): boolean => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) out.add(sel.name.value);
      else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (!walk(sel.selectionSet)) return false;
      } else return false;
    }
    return true;
  };
  for (const node of info.fieldNodes) if (!walk(node.selectionSet)) return undefined;
  return out;
}

@Resolver(() => Analytics)
export class AnalyticsResolver {
  @Query(() => Analytics, {
    description: "Dashboard numbers of a church over a period (default: the last 30 days, in the church's time zone). VIEWER or above.",
  })
  analytics(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Info() info: GraphQLResolveInfo,
    @Arg('period', () => AnalyticsPeriodInput, { nullable: true }) period?: AnalyticsPeriodInput | null,
  ): Promise<AnalyticsAnswer> {
    return getAnalytics({ scope: ctx, churchId, period, asked: askedFields(info) });
  }

  @FieldResolver(() => Church)
  async church(@Ctx() ctx: Context, @Root() a: AnalyticsAnswer) {
    return ctx.loaders.church.load(a.churchId);
  }
}
