import { Field, ID, ObjectType } from 'type-graphql';
import { JSONResolver } from 'graphql-scalars';
import { connectionTypes } from '../../graphql/connection.js';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: 'A saved rule set over a church\'s people; its members are computed whenever it is read.' })
export class SmartList {
  @Field(() => ID) id!: number;
  churchId!: number;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => JSONResolver, { description: 'The rules as saved: { match, conditions: [{ field, op, value }], groups: [{ match, conditions }] }.' })
  rules!: unknown;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
}

export const { Edge: SmartListEdge, Conn: SmartListConnection } = connectionTypes('SmartList', SmartList);
