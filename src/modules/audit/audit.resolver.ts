import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { AuditFilter } from './audit.input.js';
import { listAudit } from './audit.service.js';
import { AuditConnection, AuditEntry } from './audit.type.js';

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditConnection, { description: "A church's audit log, newest first (ADMIN or higher; first ≤ 100)." })
  auditLog(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('filter', () => AuditFilter, { nullable: true }) filter: AuditFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    return listAudit({ scope: ctx, churchId, filter, first, after });
  }
}
