import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { ChurchRole } from '../../graphql/enums.js';
import { AddChurchUserInput, CreateApiTokenInput } from './auth.input.js';
import { changePassword, login, logout, me } from './auth.service.js';
import { createApiToken, listApiTokens, revokeApiToken } from './tokens.service.js';
import { ApiToken, ApiTokenConnection, ChurchUser, ChurchUserConnection, CreateApiTokenPayload, User, Viewer } from './auth.type.js';
import { addChurchUser, listChurchUsers, removeChurchUser, setChurchUserRole, setUserActive } from './users.service.js';

@Resolver(() => User)
export class AuthResolver {
  @Query(() => Viewer, { nullable: true, description: 'The signed-in user, or null when anonymous.' })
  me(@Ctx() ctx: Context) {
    return me({ ctx });
  }

  @Mutation(() => User, {
    nullable: true,
    description:
      'Signs in and sets the session cookie (httpOnly). Null with an error when refused. Limited per email+IP and per IP: RATE_LIMITED says how long to wait.',
  })
  login(@Ctx() ctx: Context, @Arg('email', () => String) email: string, @Arg('password', () => String) password: string) {
    return login({ ctx, email, password });
  }

  @Mutation(() => Boolean, { description: 'Ends this session. True if there was one.' })
  logout(@Ctx() ctx: Context) {
    return logout({ ctx });
  }

  @Mutation(() => Boolean, { description: 'Ends every session of this user; this one continues under a new id.' })
  changePassword(
    @Ctx() ctx: Context,
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
  ) {
    return changePassword({ ctx, currentPassword, newPassword });
  }

  @Query(() => ChurchUserConnection, { description: 'Users with a role in a church (ADMIN/OWNER).' })
  churchUsers(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listChurchUsers({ ctx, churchId, first, after });
  }

  @Mutation(() => ChurchUser, { description: 'ADMIN/OWNER: give a person a role, creating the account if needed.' })
  addChurchUser(@Ctx() ctx: Context, @Arg('input', () => AddChurchUserInput) input: AddChurchUserInput) {
    return addChurchUser({ ctx, input });
  }

  @Mutation(() => ChurchUser, { description: "ADMIN/OWNER: change a user's role; their sessions end at once." })
  setChurchUserRole(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('userId', () => ID) userId: string,
    @Arg('role', () => ChurchRole) role: ChurchRole,
  ) {
    return setChurchUserRole({ ctx, churchId, userId, role });
  }

  @Mutation(() => Boolean, { description: "ADMIN/OWNER: take away a user's role in the church." })
  removeChurchUser(@Ctx() ctx: Context, @Arg('churchId', () => ID) churchId: string, @Arg('userId', () => ID) userId: string) {
    return removeChurchUser({ ctx, churchId, userId });
  }

  @Mutation(() => User, { description: 'Platform admin: the user can no longer sign in; sessions and tokens stop now.' })
  deactivateUser(@Ctx() ctx: Context, @Arg('userId', () => ID) userId: string) {
    return setUserActive({ ctx, userId, active: false });
  }

  @Mutation(() => User, { description: 'Platform admin.' })
  reactivateUser(@Ctx() ctx: Context, @Arg('userId', () => ID) userId: string) {
    return setUserActive({ ctx, userId, active: true });
  }

  @Query(() => ApiTokenConnection, { description: "Your API tokens, newest first (ADMIN/OWNER somewhere)." })
  apiTokens(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listApiTokens({ ctx, first, after });
  }

  @Mutation(() => CreateApiTokenPayload, { description: 'The secret is in the answer once; only its hash is stored.' })
  createApiToken(@Ctx() ctx: Context, @Arg('input', () => CreateApiTokenInput) input: CreateApiTokenInput) {
    return createApiToken({ ctx, input });
  }

  @Mutation(() => ApiToken)
  revokeApiToken(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return revokeApiToken({ ctx, id });
  }
}
