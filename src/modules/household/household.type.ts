import { Field, ID, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../graphql/connection.js';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: 'People who live together; members carry their role in it.' })
export class Household {
  @Field(() => ID) id!: number;
  churchId!: number;
  @Field(() => String) name!: string;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
}

export const { Conn: HouseholdConnection } = connectionTypes('Household', Household);
