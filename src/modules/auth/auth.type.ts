import { Field, ID, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../graphql/connection.js';
import { ApiTokenKind, ChurchRole } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';
import { Church } from '../church/church.type.js';

@ObjectType({ simpleResolvers: true, description: 'A person who signs in: church staff or a platform operator.' })
export class User {
  @Field(() => ID) id!: number;
  // not simple: the viewer's own user (me) loads these only when asked (auth.service.ts viewerUser)
  @Field(() => String, { simple: false }) email!: string;
  @Field(() => String, { simple: false }) name!: string;
  @Field(() => Boolean, { description: 'Operators of the service: queues, caches, onboarding churches.' })
  isPlatformAdmin!: boolean;
  @Field(() => DateTime, { nullable: true, simple: false }) deactivatedAt!: Date | null;
  @Field(() => DateTime, { simple: false }) createdAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A role in one church.' })
export class ChurchMembership {
  @Field(() => Church) church!: Church;
  @Field(() => ChurchRole) role!: ChurchRole;
}

@ObjectType({ simpleResolvers: true, description: 'The signed-in user and where they may act.' })
export class Viewer {
  @Field(() => User) user!: User;
  // a promise-valued getter (auth.service.ts me): resolved as a field, read only when asked
  @Field(() => [ChurchMembership], { simple: false }) churches!: ChurchMembership[];
  @Field(() => String, { description: 'session or token' }) authenticatedBy!: string;
}

@ObjectType({ simpleResolvers: true, description: 'A user with their role in the church asked about.' })
export class ChurchUser {
  @Field(() => User) user!: User;
  @Field(() => ChurchRole) role!: ChurchRole;
}

export const { Conn: ChurchUserConnection } = connectionTypes('ChurchUser', ChurchUser);

@ObjectType({ simpleResolvers: true, description: 'An API token (the secret itself is only shown once, at creation).' })
export class ApiToken {
  @Field(() => ID) id!: number;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'First characters of the secret, to recognise it.' }) prefix!: string;
  @Field(() => ApiTokenKind) kind!: ApiTokenKind;
  @Field(() => ID, { nullable: true, description: 'A CHECK_IN token’s church.' }) churchId!: number | null;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime, { nullable: true }) expiresAt!: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'Updated at most once a minute.' }) lastUsedAt!: Date | null;
  @Field(() => DateTime, { nullable: true }) revokedAt!: Date | null;
}

export const { Conn: ApiTokenConnection } = connectionTypes('ApiToken', ApiToken);

@ObjectType({ simpleResolvers: true })
export class CreateApiTokenPayload {
  @Field(() => String, { description: 'Send as "Authorization: Bearer <token>". Shown once: store it now.' })
  token!: string;
  @Field(() => ApiToken) apiToken!: ApiToken;
}
