import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: "A church's label for people (many per person). Archived tags leave people's pages but are kept." })
export class Tag {
  @Field(() => ID) id!: number;
  churchId!: number;
  @Field(() => String) name!: string;
  @Field(() => DateTime, { nullable: true }) archivedAt!: Date | null;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class TagMembersPayload {
  @Field(() => Tag) tag!: Tag;
  @Field(() => Int, { description: 'People whose tags changed (those who already had it, or did not, are not counted).' }) changed!: number;
}
