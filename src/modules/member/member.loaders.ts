import type { Queryable } from '../../db/client.js';
import { byId, family, grouped, counted, withinChurches, type LoaderScope } from '../../lib/loader-kit.js';
import {
  countMembersByChurch,
  membersByHousehold,
  membersByIds,
  pageMembersByChurch,
  type MemberFilter,
  type MemberPageArgs,
  type MemberRow,
} from './member.queries.js';

/** Household.members is not paginated: at most this many per household. */
export const HOUSEHOLD_MEMBERS_CAP = 50;

/**
 * People, only in the churches whose people the viewer may see (scope.data). The directory page
 * (membersPage with one church) also brings each member's household and groups, which
 * member.service primes into the household and memberGroups loaders.
 */
export function memberLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  const inData = withinChurches(data);
  return {
    member: byId<MemberRow>((ids) => membersByIds(db, ids, data)),
    householdMembers: grouped<MemberRow>((ids) => membersByHousehold(db, ids, HOUSEHOLD_MEMBERS_CAP, data)),
    membersPage: family((a: MemberPageArgs) => grouped<MemberRow>(inData((ids) => pageMembersByChurch(db, ids, a)))),
    membersCount: family((f: MemberFilter) => counted(inData((ids) => countMembersByChurch(db, ids, f)))),
  };
}
