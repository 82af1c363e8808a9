import { Kind, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { valueFromASTUntyped } from 'graphql';
import type { Viewer } from '../modules/viewer.js';
import { tags } from './tags.js';

/**
 * THE cache policy: which root fields are served from the response cache, for how long, and
 * with which tags (so the named invalidators below can drop them). Anything not listed here is
 * never cached. An operation is cached only when every root field it asks for is cacheable; its
 * TTL is the shortest of theirs. Keys always include the viewer's churches and roles (see
 * accessKey), so one church's (or one role's) answer is never served to another.
 */
export interface RootFieldPolicy {
  ttlMs: number;
  /** extra condition on the field's arguments */
  cacheIf?(args: Record<string, unknown>): boolean;
  /** tags naming what the answer depends on, beyond the entities (typename:id) in it */
  tags(args: Record<string, unknown>, viewer: Viewer): string[] | null;
}

export { tags };

const churchIdOf = (args: Record<string, unknown>): number | null => {
  const n = Number(args.churchId);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
};

export const CACHE_POLICY: Record<string, RootFieldPolicy> = {
  // the dashboard: 5 minutes, dropped by any change to the church's people or messaging
  'Query.analytics': {
    ttlMs: 5 * 60_000,
    tags: (a) => (churchIdOf(a) ? [tags.analytics(churchIdOf(a)!)] : null),
  },
  // attendance figures and the first page of the lapsed list: 5 minutes, dropped by check-ins and event changes
  'Query.attendance': {
    ttlMs: 5 * 60_000,
    tags: (a) => (churchIdOf(a) ? [tags.attendance(churchIdOf(a)!)] : null),
  },
  'Query.lapsedPeople': {
    ttlMs: 5 * 60_000,
    cacheIf: (a) => a.after === undefined || a.after === null,
    tags: (a) => (churchIdOf(a) ? [tags.attendance(churchIdOf(a)!)] : null),
  },
  // A saved list and its pages: its church is not in the arguments, and a list page depends on
  // every person of that church (whoever starts or stops matching), on check-ins (lapsed rules)
  // and on the list itself (the SmartList entity in the answer). So the answer carries the roster
  // and attendance tags of each church of the viewer (the list is of one of them, or the answer is
  // NOT_FOUND): any change to people, tags, custom values, groups or attendance there drops it.
  // 5 minutes: rules relative to today (ages, last N days, lapsed weeks) move with the clock.
  'Query.smartList': {
    ttlMs: 5 * 60_000,
    tags: (_a, viewer) => (viewer.roles.size ? [...viewer.roles.keys()].flatMap((c) => [tags.roster(c), tags.attendance(c)]) : null),
  },
  // the first page of a member list (no cursor): 30 minutes, dropped by any change to the roster
  'Query.members': {
    ttlMs: 30 * 60_000,
    cacheIf: (a) => a.after === undefined || a.after === null,
    tags: (a) => (churchIdOf(a) ? [tags.roster(churchIdOf(a)!)] : null),
  },
};

export interface OperationPolicy {
  ttlMs: number;
  tags: string[];
}

/** The policy of a whole query operation, or null when any root field must not be cached. */
export function policyFor(operation: OperationDefinitionNode, variables: Record<string, unknown>, viewer: Viewer): OperationPolicy | null {
  if (operation.operation !== 'query') return null;
  let ttlMs = Infinity;
  const out: string[] = [];
  const fields = operation.selectionSet.selections;
  if (!fields.length) return null;
  for (const sel of fields) {
    if (sel.kind !== Kind.FIELD) return null; // fragments at the root: not worth the complexity
    if (sel.name.value === '__typename') continue;
    const policy = CACHE_POLICY[`Query.${sel.name.value}`];
    if (!policy) return null;
    const args = argsOf(sel, variables);
    if (policy.cacheIf && !policy.cacheIf(args)) return null;
    const t = policy.tags(args, viewer);
    if (!t) return null;
    out.push(...t);
    ttlMs = Math.min(ttlMs, policy.ttlMs);
  }
  return Number.isFinite(ttlMs) ? { ttlMs, tags: [...new Set(out)] } : null;
}

function argsOf(field: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const a of field.arguments ?? []) args[a.name.value] = valueFromASTUntyped(a.value, variables);
  return args;
}

/**
 * What a cached answer may be shared across: the viewer's churches with their roles, and the
 * platform flag. Two STAFF of the same church share entries; a VIEWER, another church or a user
 * with one more church does not. Part of every cache key.
 */
export function accessKey(v: Viewer): string {
  let key = accessKeys.get(v);
  if (key === undefined) accessKeys.set(v, (key = accessKeyOf(v)));
  return key;
}

/** by viewer (a session's viewer lives as long as its session is unchanged: authenticate.ts) */
const accessKeys = new WeakMap<Viewer, string>();

function accessKeyOf(v: Viewer): string {
  const roles = [...v.roles].sort(([a], [b]) => a - b).map(([c, r]) => `${c}=${r}`);
  return `${v.platformAdmin ? 'pa;' : ''}${v.checkInChurchId !== undefined ? `ci=${v.checkInChurchId};` : ''}${roles.join(',')}`;
}
