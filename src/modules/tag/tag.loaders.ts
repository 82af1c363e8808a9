import type { Queryable } from '../../db/client.js';
import { byId, counted, grouped, withinChurches, type LoaderScope } from '../../lib/loader-kit.js';
import { countByTag, tagsByChurch, tagsByIds, tagsByMember, type TagRow } from './tag.queries.js';

/** Tags, only in the churches whose people the viewer may see (scope.data). */
export function tagLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  const inData = withinChurches(data);
  return {
    tag: byId<TagRow>((ids) => tagsByIds(db, ids, data)),
    churchTags: grouped<TagRow>(inData((ids) => tagsByChurch(db, ids))),
    memberTags: grouped<TagRow>((ids) => tagsByMember(db, ids, data)),
    tagMemberCount: counted((ids) => countByTag(db, ids, data)),
  };
}
