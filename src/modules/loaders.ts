import type { Queryable } from '../db/client.js';
import type { LoaderScope } from '../lib/loader-kit.js';
import { churchLoaders } from './church/church.loaders.js';
import { groupLoaders } from './group/group.loaders.js';
import { householdLoaders } from './household/household.loaders.js';
import { memberLoaders } from './member/member.loaders.js';
import { messageLoaders } from './message/message.loaders.js';

export type { LoaderScope } from '../lib/loader-kit.js';

/**
 * Built per request (context factory) for one viewer from each module's loaders: caches never
 * outlive a request, and every module builds its loaders from the same viewer scope, whose church
 * ids every statement carries, so a resolver that forgot its permission check still cannot load
 * another church's rows (test/loaders-scope.test.ts walks every key). Every relation in the schema
 * resolves through these.
 */
export function createLoaders(db: Queryable, scope: LoaderScope) {
  return {
    ...churchLoaders(db, scope),
    ...memberLoaders(db, scope),
    ...householdLoaders(db, scope),
    ...groupLoaders(db, scope),
    ...messageLoaders(db, scope),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
