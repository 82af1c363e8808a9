import { Field, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes, PageInfo } from '../../graphql/connection.js';
import { GroupKind, GroupRole } from '../../graphql/enums.js';
import { DateTime, LocalDate } from '../../graphql/scalars.js';
import { Member } from '../member/member.type.js';

@ObjectType({ simpleResolvers: true, description: 'A small group, ministry, team or class.' })
export class Group {
  @Field(() => ID) id!: number;
  churchId!: number;
  @Field(() => String) name!: string;
  @Field(() => GroupKind) kind!: GroupKind;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
}

export const { Conn: GroupConnection } = connectionTypes('Group', Group);

@ObjectType({ simpleResolvers: true, description: 'A member in a group, with their role there.' })
export class GroupMemberEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Member) node!: Member;
  @Field(() => GroupRole) role!: GroupRole;
  @Field(() => LocalDate) joinedOn!: string;
}

@ObjectType({ simpleResolvers: true })
export class GroupMemberConnection {
  @Field(() => [GroupMemberEdge]) edges!: GroupMemberEdge[];
  @Field(() => [Member]) nodes!: Member[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  // a promise-valued getter (src/lib/paging.ts): resolved as a field, see graphql/connection.ts
  @Field(() => Int, { simple: false }) totalCount!: number;
}

@ObjectType({ simpleResolvers: true, description: 'A membership after a change.' })
export class GroupMembership {
  @Field(() => Group) group!: Group;
  @Field(() => Member) member!: Member;
  @Field(() => GroupRole, { nullable: true, description: 'Null once removed.' }) role!: GroupRole | null;
  @Field(() => LocalDate, { nullable: true }) joinedOn!: string | null;
}
