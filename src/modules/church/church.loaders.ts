import type { Queryable } from '../../db/client.js';
import { byId, type LoaderScope } from '../../lib/loader-kit.js';
import { churchesByIds, type ChurchRow } from './church.queries.js';

/** Church records: every church for a platform admin, else the viewer's (scope.churches). */
export function churchLoaders(db: Queryable, scope: LoaderScope) {
  const mine = new Set(scope.churches.ids);
  return {
    // the statement carries the scope; ids outside it are dropped first, to spare the round trip
    church: byId<ChurchRow>(async (ids) => {
      const allowed = scope.churches.all ? ids : ids.filter((id) => mine.has(id));
      return allowed.length ? churchesByIds(db, allowed, scope.churches) : [];
    }),
  };
}
