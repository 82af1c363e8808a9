import DataLoader from 'dataloader';
import type { Db } from '../db/client.js';
import { messagesByIds, recentForMember, type MessageRow } from '../modules/message/message.queries.js';
import { countsByMessage, type DeliveryCounts } from '../modules/message/recipient.queries.js';
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

/** What this request may read: church records, and the churches whose people it may see. */
export interface LoaderScope {
  churches: { all: boolean; ids: readonly number[] };
  data: readonly number[];
}

/**
 * Built per request (context factory) for one viewer: caches never outlive a request, and every
 * query below carries the viewer's church scope, so a resolver that forgot its permission check
 * still cannot load another church's rows. Every relation in the schema resolves through these.
 */
export function createLoaders(db: Db, scope: LoaderScope) {
  const data = scope.data;
  const dataSet = new Set(data);
  const churchSet = new Set(scope.churches.ids);
  // keys of church-keyed lists are filtered before any SQL: another church's key yields nothing
  const inData = <V>(load: (keys: readonly number[]) => Promise<Map<number, V>>) => async (keys: readonly number[]) => {
    const allowed = keys.filter((k) => dataSet.has(k));
    return allowed.length ? load(allowed) : new Map<number, V>();
  };
  return {
    church: byId<ChurchRow>(async (ids) => {
      const allowed = scope.churches.all ? ids : ids.filter((id) => churchSet.has(id));
      return allowed.length ? churchesByIds(db, allowed) : [];
    }),
    member: byId<MemberRow>((ids) => membersByIds(db, ids, data)),
    household: byId<HouseholdRow>((ids) => householdsByIds(db, ids, data)),
    group: byId<GroupRow>((ids) => groupsByIds(db, ids, data)),

    householdMembers: grouped<MemberRow>((ids) => membersByHousehold(db, ids, RELATION_CAPS.householdMembers, data)),
    memberGroups: grouped<GroupRow>((ids) => groupsByMember(db, ids, RELATION_CAPS.memberGroups, data)),

    membersPage: family((a: MemberPageArgs) => grouped<MemberRow>(inData((ids) => pageMembersByChurch(db, ids, a)))),
    membersCount: family((f: MemberFilter) => counted(inData((ids) => countMembersByChurch(db, ids, f)))),
    groupsPage: family((a: { limit: number; after: Keyset }) =>
      grouped<GroupRow>(inData((ids) => pageGroupsByChurch(db, ids, a.limit, a.after))),
    ),
    groupsCount: counted(inData((ids) => countGroupsByChurch(db, ids))),
    householdsPage: family((a: { limit: number; after: Keyset }) =>
      grouped<HouseholdRow>(inData((ids) => pageHouseholdsByChurch(db, ids, a.limit, a.after))),
    ),
    householdsCount: counted(inData((ids) => countHouseholdsByChurch(db, ids))),
    groupMembersPage: family((a: { limit: number; after: Keyset }) =>
      grouped<GroupMemberRow>((ids) => pageMembersByGroup(db, ids, a.limit, a.after, data)),
    ),
    groupMembersCount: counted((ids) => countMembersByGroup(db, ids, data)),
    message: byId<MessageRow>((ids) => messagesByIds(db, ids, data)),
    /** Member.recentMessages: the last texts of several members in one statement */
    recentMessages: family((perMember: number) =>
      grouped<Record<string, unknown>>(async (ids) => {
        const rows = await recentForMember(db, ids, perMember, data);
        const out = new Map<number, Record<string, unknown>[]>();
        for (const r of rows) out.set(r.member_id as number, [...(out.get(r.member_id as number) ?? []), r]);
        return out;
      }),
    ),
    messageCounts: new DataLoader<number, DeliveryCounts>(async (ids) => {
      const map = await countsByMessage(db, ids);
      return ids.map((id) => map.get(id)!);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
