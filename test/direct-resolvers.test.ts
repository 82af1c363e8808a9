import { GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DIRECT } from '../src/graphql/direct-resolvers.js';
import { getSchema } from '../src/graphql/schema.js';

// src/graphql/direct-resolvers.ts: resolver-class field resolvers called directly, without
// type-graphql's per-call handler (parameter sort, container search, root copied into a class).

const field = async (type: string, name: string) => {
  const t = (await getSchema()).getType(type);
  if (!(t instanceof GraphQLObjectType)) throw new Error(`${type} is not an object type`);
  const f = t.getFields()[name];
  if (!f) throw new Error(`${type}.${name} is missing`);
  return f;
};
const isDirect = (f: { resolve?: unknown }) => Boolean(f.resolve && (f.resolve as unknown as Record<symbol, unknown>)[DIRECT]);

describe('direct field resolvers', () => {
  it('the directory page’s relations are direct; a field with an @Args class keeps type-graphql’s handler', async () => {
    expect(isDirect(await field('Member', 'household'))).toBe(true);
    expect(isDirect(await field('Member', 'groups'))).toBe(true);
    expect(isDirect(await field('Member', 'fullName'))).toBe(true);
    expect(isDirect(await field('Church', 'memberCount'))).toBe(true);
    // MembersPageArgs is turned into a class instance by type-graphql: left to it
    expect(isDirect(await field('Church', 'members'))).toBe(false);
    // a plain property (simpleResolvers) is not a resolver-class field
    expect(isDirect(await field('Member', 'firstName'))).toBe(false);
  });

  it('passes the root as it is (no copy into the class) and the context property asked for', async () => {
    const root = { firstName: 'Ada', lastName: 'Lovelace', smsOptedOutAt: null };
    const info = {} as never;
    expect((await field('Member', 'fullName')).resolve!(root, {}, {}, info)).toBe('Ada Lovelace');
    expect((await field('Member', 'smsOptedOut')).resolve!({ ...root, smsOptedOutAt: new Date() }, {}, {}, info)).toBe(true);
    // a context parameter reaches the method: memberCount checks the viewer's role on the church
    const denied = () => (field('Church', 'memberCount').then((f) => f.resolve!({ id: 1 }, {}, { auth: { kind: 'anonymous' } }, info)));
    await expect(denied()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
