import type { Queryable } from '../../db/client.js';
import { byId, grouped, withinChurches, type LoaderScope } from '../../lib/loader-kit.js';
import { fieldsByChurch, fieldsByIds, valuesByMember, type FieldRow, type ValueRow } from './field.queries.js';

/** Custom fields and members' values, only in the churches whose people the viewer may see (scope.data). */
export function fieldLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  const inData = withinChurches(data);
  return {
    customField: byId<FieldRow>((ids) => fieldsByIds(db, ids, data)),
    /** every field of a church, archived ones included, in display order */
    churchFields: grouped<FieldRow>(inData((ids) => fieldsByChurch(db, ids))),
    memberValues: grouped<ValueRow>((ids) => valuesByMember(db, ids, data)),
  };
}
