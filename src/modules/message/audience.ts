import type { SQL } from 'drizzle-orm';
import { lapsedSpec } from '../event/attendance.service.js';
import { getSmartList, smartListWhere } from '../smartlist/smartlist.service.js';
import type { Scope } from '../scope.js';
import { NotFoundError, type Problems } from '../../lib/errors.js';
import { parseIds } from '../../lib/ids.js';
import { SCHEDULE_SKEW_MS, type AudienceInput } from './message.input.js';
import * as q from './message.queries.js';

/*
 * Who a send reaches and when it may go, for both channels (message.service.ts texts,
 * email.service.ts emails): the same audience, the same checks, the same NOT_FOUND for another
 * church's ids.
 */
const MAX_GROUPS = 100;
const MAX_MEMBER_IDS = 5000;
const MAX_LISTS = 10;
const MAX_SCHEDULE_AHEAD_MS = 366 * 86_400_000;

/** The audience needs a part, and a schedule a time within a year and not past: for texts and emails alike. */
export function checkAudienceAndSchedule(scope: Scope, p: Problems, input: AudienceInput, scheduleAt: Date | null | undefined): void {
  const everyone = input.everyone ?? false;
  if (!everyone && !input.statuses?.length && !input.groupIds?.length && !input.memberIds?.length && !input.lapsed && !input.smartListIds?.length) {
    p.add('audience', 'needs at least one of everyone, statuses, groupIds, memberIds, lapsed or smartListIds');
  }
  if (scheduleAt && scheduleAt.getTime() > scope.clock.now().getTime() + MAX_SCHEDULE_AHEAD_MS) p.add('scheduleAt', 'must be within a year');
  // a time already past would send at once: refuse it, allowing for a client clock a little behind
  if (scheduleAt && scheduleAt.getTime() < scope.clock.now().getTime() - SCHEDULE_SKEW_MS) {
    p.add('scheduleAt', `is in the past (more than ${SCHEDULE_SKEW_MS / 1000} s ago); omit it to send now`);
  }
}

/** An audience as stored (spec), with its smart lists' rules compiled to SQL over members m (lists). */
export interface ResolvedAudience {
  spec: q.AudienceSpec;
  lists: SQL[];
}

/**
 * The audience as stored: its ids checked against the church (another church's are NOT_FOUND), the
 * lapsed rule resolved, the smart lists' rules compiled as of now.
 */
export async function resolveAudience(scope: Scope, churchId: number, input: AudienceInput): Promise<ResolvedAudience> {
  const statuses = [...new Set(input.statuses ?? [])];
  const groupIds = parseIds(input.groupIds ?? [], 'Group', 'audience.groupIds', MAX_GROUPS);
  const memberIds = parseIds(input.memberIds ?? [], 'Member', 'audience.memberIds', MAX_MEMBER_IDS);
  // ids of another church answer NOT_FOUND, exactly like ids that do not exist
  for (const [table, ids, field] of [['groups', groupIds, 'audience.groupIds'], ['members', memberIds, 'audience.memberIds']] as const) {
    const found = new Set(await q.idsInChurch(scope.db, churchId, table, ids));
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw new NotFoundError(table === 'groups' ? 'Group' : 'Member', missing, field);
  }
  const audience: q.AudienceSpec = { everyone: input.everyone ?? false, statuses: statuses as q.AudienceSpec['statuses'], groupIds, memberIds };
  if (input.lapsed) {
    const l = await lapsedSpec(scope.db, churchId, input.lapsed, scope.clock.now(), 'audience.lapsed.');
    audience.lapsed = { eventId: l.eventId, minAttendances: l.minAttendances, prevFrom: l.prevFrom.toISOString(), absentFrom: l.absentFrom.toISOString() };
  }
  const listIds = parseIds(input.smartListIds ?? [], 'SmartList', 'audience.smartListIds', MAX_LISTS);
  const lists: SQL[] = [];
  for (const id of listIds) {
    const list = await getSmartList({ scope, id, field: 'audience.smartListIds' });
    if (list.churchId !== churchId) throw new NotFoundError('SmartList', id, 'audience.smartListIds');
    lists.push((await smartListWhere(scope, list)).sql);
  }
  if (listIds.length) audience.smartListIds = listIds;
  return { spec: audience, lists };
}
