import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { ChurchRole } from '../../graphql/enums.js';
import { AddChurchUserInput, CreateApiTokenInput } from './auth.input.js';
import { changePassword, login, logout, me, type SessionOutcome } from './auth.service.js';
import { createApiToken, listApiTokens, revokeApiToken } from './tokens.service.js';
import { ApiToken, ApiTokenConnection, ChurchUser, ChurchUserConnection, CreateApiTokenPayload, User, Viewer } from './auth.type.js';
import { addChurchUser, listChurchUsers, removeChurchUser, setChurchUserRole, setUserActive } from './users.service.js';

/** The session a service opened or ended, as the browser's cookie. */
function handOver(ctx: Context, session: SessionOutcome): void {
  if (session.sessionId) ctx.http.setSessionCookie(session.sessionId);
  else ctx.http.clearSessionCookie();
}

@Resolver(() => User)
export class AuthResolver {
  @Query(() => Viewer, { nullable: true, description: 'The signed-in user, or null when anonymous.' })
  me(@Ctx() ctx: Context) {
    return me({ scope: ctx });
  }

  @Mutation(() => User, {
    nullable: true,
    description:
      'Signs in and sets the session cookie (httpOnly). Null with an error when refused. Limited per email+IP and per IP: RATE_LIMITED says how long to wait.',
  })
  async login(@Ctx() ctx: Context, @Arg('email', () => String) email: string, @Arg('password', () => String) password: string) {
    const { user, session } = await login({ scope: ctx, email, password });
    handOver(ctx, session);
    return user;
  }

  @Mutation(() => Boolean, { description: 'Ends this session. True if there was one.' })
  async logout(@Ctx() ctx: Context) {
    const had = await logout({ scope: ctx });
    ctx.http.clearSessionCookie();
    return had;
  }

  @Mutation(() => Boolean, { description: 'Ends every session of this user; this one continues under a new id.' })
  async changePassword(
    @Ctx() ctx: Context,
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
  ) {
    const session = await changePassword({ scope: ctx, currentPassword, newPassword });
    if (session) handOver(ctx, session);
    return true;
  }

  @Query(() => ChurchUserConnection, { description: 'Users with a role in a church (ADMIN/OWNER).' })
  churchUsers(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listChurchUsers({ scope: ctx, churchId, first, after });
  }

  @Mutation(() => ChurchUser, { description: 'ADMIN/OWNER: give a person a role, creating the account if needed.' })
  addChurchUser(@Ctx() ctx: Context, @Arg('input', () => AddChurchUserInput) input: AddChurchUserInput) {
    return addChurchUser({ scope: ctx, input });
  }

  @Mutation(() => ChurchUser, { description: "ADMIN/OWNER: change a user's role; their sessions end at once." })
  setChurchUserRole(
    @Ctx() ctx: Context,
    @Arg('churchId', () => ID) churchId: string,
    @Arg('userId', () => ID) userId: string,
    @Arg('role', () => ChurchRole) role: ChurchRole,
  ) {
    return setChurchUserRole({ scope: ctx, churchId, userId, role });
  }

  @Mutation(() => Boolean, { description: "ADMIN/OWNER: take away a user's role in the church." })
  removeChurchUser(@Ctx() ctx: Context, @Arg('churchId', () => ID) churchId: string, @Arg('userId', () => ID) userId: string) {
    return removeChurchUser({ scope: ctx, churchId, userId });
  }

  @Mutation(() => User, { description: 'Platform admin: the user can no longer sign in; sessions and tokens stop now.' })
  deactivateUser(@Ctx() ctx: Context, @Arg('userId', () => ID) userId: string) {
    return setUserActive({ scope: ctx, userId, active: false });
  }

  @Mutation(() => User, { description: 'Platform admin.' })
  reactivateUser(@Ctx() ctx: Context, @Arg('userId', () => ID) userId: string) {
    return setUserActive({ scope: ctx, userId, active: true });
  }

  @Query(() => ApiTokenConnection, { description: "Your API tokens, newest first (ADMIN/OWNER somewhere)." })
  apiTokens(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listApiTokens({ scope: ctx, first, after });
  }

  @Mutation(() => CreateApiTokenPayload, { description: 'The secret is in the answer once; only its hash is stored.' })
  createApiToken(@Ctx() ctx: Context, @Arg('input', () => CreateApiTokenInput) input: CreateApiTokenInput) {
    return createApiToken({ scope: ctx, input });
  }

  @Mutation(() => ApiToken)
  revokeApiToken(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return revokeApiToken({ scope: ctx, id });
  }
}
