import DataLoader from 'dataloader';
import type { Queryable } from '../../db/client.js';
import { byId, family, grouped, type LoaderScope } from '../../lib/loader-kit.js';
import { countCheckIns } from './checkin.queries.js';
import { eventsByIds, exceptionsInWindowByEvent, type EventRow, type ExceptionRow } from './event.queries.js';

/** Events and check-in counts, only in the churches whose people the viewer may see (scope.data). */
export function eventLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  return {
    event: byId<EventRow>((ids) => eventsByIds(db, ids, data)),
    /** the exceptions of a window, batched over the events of a page asking the same window */
    eventExceptions: family((w: { from: number; to: number }) =>
      grouped<ExceptionRow>((ids) => exceptionsInWindowByEvent(db, ids, new Date(w.from), new Date(w.to), data)),
    ),
    checkInCount: new DataLoader<{ eventId: number; start: Date }, number, string>(
      async (keys) => {
        const map = await countCheckIns(db, keys, data);
        return keys.map((k) => map.get(`${k.eventId}@${k.start.toISOString()}`) ?? 0);
      },
      { cacheKeyFn: (k) => `${k.eventId}@${k.start.getTime()}` },
    ),
  };
}
