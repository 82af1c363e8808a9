import type { Queryable } from '../../db/client.js';
import { byId, type LoaderScope } from '../../lib/loader-kit.js';
import { listsByIds, type SmartListRow } from './smartlist.queries.js';

/** Saved lists, only in the churches whose people the viewer may see (scope.data). */
export function smartListLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  return {
    smartList: byId<SmartListRow>((ids) => listsByIds(db, ids, data)),
  };
}
