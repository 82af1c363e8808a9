import type { Queryable } from '../db/client.js';
import type { LoaderScope } from '../lib/loader-kit.js';
import { churchLoaders } from './church/church.loaders.js';
import { groupLoaders } from './group/group.loaders.js';
import { householdLoaders } from './household/household.loaders.js';
import { memberLoaders } from './member/member.loaders.js';
import { messageLoaders } from './message/message.loaders.js';
import { eventLoaders } from './event/event.loaders.js';
import { fieldLoaders } from './field/field.loaders.js';
import { tagLoaders } from './tag/tag.loaders.js';
import { smartListLoaders } from './smartlist/smartlist.loaders.js';
import { conversationLoaders } from './conversation/conversation.loaders.js';

export type { LoaderScope } from '../lib/loader-kit.js';

const MODULES = [churchLoaders, memberLoaders, householdLoaders, groupLoaders, messageLoaders, eventLoaders, fieldLoaders, tagLoaders, smartListLoaders, conversationLoaders] as const;

type Union<T extends readonly unknown[]> = T[number];
type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
export type Loaders = Intersect<ReturnType<Union<typeof MODULES>>>;

/**
 * Per request, for one viewer: each module's loaders, built the first time one of them is used
 * (most requests touch one or two modules; building every DataLoader for each was measurable
 * garbage). Caches never outlive a request, and every module builds its loaders from the same
 * viewer scope, whose church ids every statement carries, so a resolver that forgot its permission
 * check still cannot load another church's rows (test/loaders-scope.test.ts walks every loader).
 */
class RequestLoaders {
  readonly built: Array<Record<string, unknown> | undefined> = [];
  constructor(
    readonly db: Queryable,
    readonly scope: LoaderScope,
  ) {}
}

const NOWHERE: LoaderScope = { churches: { all: false, ids: [] }, data: [] };
/** Every loader's name (building a module's loaders touches no database). */
export const LOADER_NAMES: readonly string[] = MODULES.flatMap((build, i) => {
  const names = Object.keys(build(null as never, NOWHERE));
  for (const name of names) {
    Object.defineProperty(RequestLoaders.prototype, name, {
      get(this: RequestLoaders) {
        const built = (this.built[i] ??= build(this.db, this.scope) as Record<string, unknown>);
        return built[name];
      },
    });
  }
  return names;
});

export function createLoaders(db: Queryable, scope: LoaderScope): Loaders {
  // the getters defined above make it every module's loaders
  return new RequestLoaders(db, scope) as unknown as Loaders;
}
