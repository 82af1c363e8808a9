import type { Queryable } from '../../db/client.js';
import { byId, counted, family, grouped, withinChurches, type Keyset, type LoaderScope } from '../../lib/loader-kit.js';
import { GROUPS_CAP } from '../member/member.queries.js';
import {
  countGroupsByChurch,
  countMembersByGroup,
  groupsByIds,
  groupsByMember,
  pageGroupsByChurch,
  pageMembersByGroup,
  type GroupMemberRow,
  type GroupRow,
} from './group.queries.js';

/** Member.groups is not paginated: the same cap as the directory page's embedded list. */
export const MEMBER_GROUPS_CAP = GROUPS_CAP;

/** Groups and memberships, only in the churches whose people the viewer may see (scope.data). */
export function groupLoaders(db: Queryable, scope: LoaderScope) {
  const data = scope.data;
  const inData = withinChurches(data);
  return {
    group: byId<GroupRow>((ids) => groupsByIds(db, ids, data)),
    memberGroups: grouped<GroupRow>((ids) => groupsByMember(db, ids, MEMBER_GROUPS_CAP, data)),
    groupsPage: family((a: { limit: number; after: Keyset }) =>
      grouped<GroupRow>(inData((ids) => pageGroupsByChurch(db, ids, a.limit, a.after))),
    ),
    groupsCount: counted(inData((ids) => countGroupsByChurch(db, ids))),
    groupMembersPage: family((a: { limit: number; after: Keyset }) =>
      grouped<GroupMemberRow>((ids) => pageMembersByGroup(db, ids, a.limit, a.after, data)),
    ),
    groupMembersCount: counted((ids) => countMembersByGroup(db, ids, data)),
  };
}
