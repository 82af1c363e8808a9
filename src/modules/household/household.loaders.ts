import type { Queryable } from '../../db/client.js';
import { byId, counted, family, grouped, withinChurches, type Keyset, type LoaderScope } from '../../lib/loader-kit.js';
import { countHouseholdsByChurch, householdsByIds, pageHouseholdsByChurch, type HouseholdRow } from './household.queries.js';

/** Households, only in the churches whose people the viewer may see (scope.data). */
export function householdLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  const inData = withinChurches(data);
  return {
    household: byId<HouseholdRow>((ids) => householdsByIds(db, ids, data)),
    householdsPage: family((a: { limit: number; after: Keyset }) =>
      grouped<HouseholdRow>(inData((ids) => pageHouseholdsByChurch(db, ids, a.limit, a.after))),
    ),
    householdsCount: counted(inData((ids) => countHouseholdsByChurch(db, ids))),
  };
}
