import DataLoader from 'dataloader';
import type { Db } from '../db/client.js';
import { churchesByIds, type ChurchRow } from '../modules/church/church.queries.js';
import {
  countGroupsByChurch,
  countMembersByGroup,
  groupsByIds,
  groupsByMember,
  pageGroupsByChurch,
  pageMembersByGroup,
  type GroupMemberRow,
  type GroupRow,
} from '../modules/group/group.queries.js';
import {
  countHouseholdsByChurch,
  householdsByIds,
  pageHouseholdsByChurch,
  type HouseholdRow,
} from '../modules/household/household.queries.js';
import {
  countMembersByChurch,
  membersByHousehold,
  membersByIds,
  pageMembersByChurch,
  type MemberFilter,
  type MemberPageArgs,
  type MemberRow,
} from '../modules/member/member.queries.js';

/** Per-relation caps for lists that are not paginated (a household or a member's groups). */
export const RELATION_CAPS = { householdMembers: 50, memberGroups: 100 } as const;

type Keyset = Array<string | number | null> | undefined;

function byId<T extends { id: number }>(load: (ids: readonly number[]) => Promise<T[]>) {
  return new DataLoader<number, T | null>(async (ids) => {
    const rows = await load(ids);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

function grouped<V>(load: (keys: readonly number[]) => Promise<Map<number, V[]>>) {
  return new DataLoader<number, V[]>(async (keys) => {
    const map = await load(keys);
    return keys.map((k) => map.get(k) ?? []);
  });
}

function counted(load: (keys: readonly number[]) => Promise<Map<number, number>>) {
  return new DataLoader<number, number>(async (keys) => {
    const map = await load(keys);
    return keys.map((k) => map.get(k) ?? 0);
  });
}

/** One DataLoader per distinct argument set (page size, cursor, filter), each batching over parents. */
function family<A, L>(make: (args: A) => L) {
  const loaders = new Map<string, L>();
  return (args: A): L => {
    const key = JSON.stringify(args);
    let l = loaders.get(key);
    if (!l) {
      l = make(args);
      loaders.set(key, l);
    }
    return l;
  };
}

/**
 * Built per request (context factory): caches never outlive a request, so one viewer's reads
 * are never served to another. Every relation in the schema resolves through one of these.
 */
export function createLoaders(db: Db) {
  return {
    church: byId<ChurchRow>((ids) => churchesByIds(db, ids)),
    member: byId<MemberRow>((ids) => membersByIds(db, ids)),
    household: byId<HouseholdRow>((ids) => householdsByIds(db, ids)),
    group: byId<GroupRow>((ids) => groupsByIds(db, ids)),

    householdMembers: grouped<MemberRow>((ids) => membersByHousehold(db, ids, RELATION_CAPS.householdMembers)),
    memberGroups: grouped<GroupRow>((ids) => groupsByMember(db, ids, RELATION_CAPS.memberGroups)),

    membersPage: family((a: MemberPageArgs) => grouped<MemberRow>((ids) => pageMembersByChurch(db, ids, a))),
    membersCount: family((f: MemberFilter) => counted((ids) => countMembersByChurch(db, ids, f))),
    groupsPage: family((a: { limit: number; after: Keyset }) =>
      grouped<GroupRow>((ids) => pageGroupsByChurch(db, ids, a.limit, a.after)),
    ),
    groupsCount: counted((ids) => countGroupsByChurch(db, ids)),
    householdsPage: family((a: { limit: number; after: Keyset }) =>
      grouped<HouseholdRow>((ids) => pageHouseholdsByChurch(db, ids, a.limit, a.after)),
    ),
    householdsCount: counted((ids) => countHouseholdsByChurch(db, ids)),
    groupMembersPage: family((a: { limit: number; after: Keyset }) =>
      grouped<GroupMemberRow>((ids) => pageMembersByGroup(db, ids, a.limit, a.after)),
    ),
    groupMembersCount: counted((ids) => countMembersByGroup(db, ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
