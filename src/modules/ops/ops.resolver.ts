import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { DateTime } from '../../graphql/scalars.js';
import * as ops from './ops.service.js';
import { CacheMetrics, FailedJobPage, FailedSendConnection, Health, QueueMetrics, RetryResult } from './ops.type.js';

/** Operating the service: platform admins only (church admins see their own failed sends). */
@Resolver()
export class OpsResolver {
  @Query(() => QueueMetrics, { description: 'Platform admin: the send queue (texts and emails) right now.' })
  queueMetrics(@Ctx() ctx: Context) {
    return ops.queueMetrics({ scope: ctx });
  }

  @Query(() => Health, { description: 'Platform admin: OK, DEGRADED (paused, no worker, old waiting texts, failures) or DOWN.' })
  queueHealth(@Ctx() ctx: Context) {
    return ops.queueHealth({ scope: ctx });
  }

  @Query(() => FailedJobPage, { description: `Platform admin: failed sends, newest first (limit ≤ ${ops.FAILED_PAGE_MAX}).` })
  failedJobs(
    @Ctx() ctx: Context,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 20 }) limit: number,
    @Arg('offset', () => Int, { nullable: true, defaultValue: 0 }) offset: number,
  ) {
    return ops.failedJobs({ scope: ctx, limit, offset });
  }

  @Mutation(() => RetryResult, { description: 'Platform admin: send failed texts and emails again (ids, or all: true), up to limit.' })
  retryFailedJobs(
    @Ctx() ctx: Context,
    @Arg('ids', () => [ID], { nullable: true }) ids: string[] | null,
    @Arg('all', () => Boolean, { nullable: true }) all: boolean | null,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 100 }) limit: number,
  ) {
    return ops.retryFailedJobs({ scope: ctx, ids, all, limit });
  }

  @Mutation(() => Int, { description: 'Platform admin: remove failed jobs (finished before olderThan, or all). Returns how many.' })
  clearFailedJobs(@Ctx() ctx: Context, @Arg('olderThan', () => DateTime, { nullable: true }) olderThan: Date | null) {
    return ops.clearFailedJobs({ scope: ctx, olderThan });
  }

  @Mutation(() => QueueMetrics, { description: 'Platform admin: stop sending (texts wait in the queue).' })
  pauseQueue(@Ctx() ctx: Context) {
    return ops.setPaused({ scope: ctx, paused: true });
  }

  @Mutation(() => QueueMetrics, { description: 'Platform admin.' })
  resumeQueue(@Ctx() ctx: Context) {
    return ops.setPaused({ scope: ctx, paused: false });
  }

  @Query(() => CacheMetrics, { description: 'Platform admin: response cache counters across all processes.' })
  cacheMetrics(@Ctx() ctx: Context) {
    return ops.cacheMetrics({ scope: ctx });
  }

  @Query(() => Health, { description: 'Platform admin.' })
  cacheHealth(@Ctx() ctx: Context) {
    return ops.cacheHealth({ scope: ctx });
  }

  @Mutation(() => Boolean, { description: 'Platform admin: zero the cache counters.' })
  resetCacheMetrics(@Ctx() ctx: Context) {
    return ops.resetCacheMetrics({ scope: ctx });
  }

  @Mutation(() => Int, { description: "Platform admin: drop a church's cached answers, or all containing a type. Returns how many." })
  invalidateCache(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID, { nullable: true }) churchId: string | null,
    @Arg('typename', () => String, { nullable: true }) typename: string | null,
  ) {
    return ops.invalidateCache({ scope: ctx, churchId, typename });
  }

  @Query(() => FailedSendConnection, { description: "A church's failed texts and emails (its ADMIN or OWNER), newest first." })
  failedSends(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return ops.failedSends({ scope: ctx, churchId, first, after });
  }
}
