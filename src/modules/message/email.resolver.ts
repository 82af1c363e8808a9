import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { DateTime } from '../../graphql/scalars.js';
import type { MemberRow } from '../member/member.queries.js';
import { Member } from '../member/member.type.js';

/** A person's email consent (the message module's, resolved on Member), batched per request. */
@Resolver(() => Member)
export class MemberEmailResolver {
  @FieldResolver(() => DateTime, {
    nullable: true,
    description: "When the person unsubscribed from this church's email (the link in every email); null: they may be emailed. Texts are not affected.",
  })
  emailOptedOutAt(@Ctx() ctx: Context, @Root() m: MemberRow): Promise<Date | null> {
    return ctx.loaders.emailOptOut.load(m.id);
  }
}
