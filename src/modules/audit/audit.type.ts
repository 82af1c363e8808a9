import { Field, ID, ObjectType } from 'type-graphql';
import { JSONResolver } from 'graphql-scalars';
import { connectionTypes } from '../../graphql/connection.js';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: 'One recorded change (append-only; kept AUDIT_RETENTION_DAYS).' })
export class AuditEntry {
  @Field(() => ID) id!: number;
  churchId!: number;
  @Field(() => ID, { nullable: true, description: 'The user who made it (also when through their API token); null: the system.' })
  actorUserId!: number | null;
  @Field(() => ID, { nullable: true, description: 'The API token it came through, if any.' }) actorTokenId!: number | null;
  @Field(() => String, { nullable: true, description: 'What made it without a user: keyword:STOP, system…' }) actorLabel!: string | null;
  @Field(() => String, { description: 'Member, Household, Group, GroupMembership, ChurchRole, Consent, Message, Merge, Tag…' }) entity!: string;
  @Field(() => ID) entityId!: string;
  @Field(() => String, { description: 'create, update, archive, restore, delete, merge, join, leave, import, send…' }) action!: string;
  @Field(() => JSONResolver, { nullable: true, description: 'Changed fields: { field: [before, after] }.' })
  changes!: Record<string, [unknown, unknown]> | null;
  @Field(() => DateTime) at!: Date;
}

export const { Conn: AuditConnection } = connectionTypes('Audit', AuditEntry);
