import type { Scope } from '../scope.js';
import { householdRole, memberStatus } from '../../db/schema/enums.js';
import { AppError, Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { lapsedSpec, type LapsedRule } from '../event/attendance.service.js';
import { fieldFilter, type FieldFilterInput } from '../field/field.service.js';
import * as q from './smartlist.queries.js';
import type { DateColumn, Match, RuleCondition, RuleTree } from './rules.queries.js';

/** Bounds of a rule set: conditions in all, per group, groups (one level of nesting), values per list, lapsed rules. */
export const RULE_LIMITS = { conditions: 30, perGroup: 20, groups: 10, values: 100, lapsed: 2 } as const;

/** A condition as the API takes it (and as it is stored): the field it reads, an operator, a JSON value. */
export interface ConditionInput {
  field: string;
  op: string;
  value?: unknown;
}
export interface RulesInput {
  match?: Match | null;
  conditions?: ConditionInput[] | null;
  groups?: Array<{ match?: Match | null; conditions: ConditionInput[] }> | null;
}

/** What each field accepts (the README's table of smart-list rules comes from the same list). */
export const RULE_FIELDS: Record<string, readonly string[]> = {
  status: ['IN', 'NOT_IN'],
  tags: ['HAS_ANY', 'HAS_ALL', 'HAS_NONE'],
  groups: ['HAS_ANY', 'HAS_NONE', 'IS_SET', 'IS_NOT_SET'],
  householdRole: ['IN', 'NOT_IN', 'IS_SET', 'IS_NOT_SET'],
  age: ['GTE', 'LTE', 'BETWEEN'],
  birthDate: ['BETWEEN', 'WITHIN_LAST_DAYS', 'IS_SET', 'IS_NOT_SET'],
  firstVisitOn: ['BETWEEN', 'WITHIN_LAST_DAYS', 'IS_SET', 'IS_NOT_SET'],
  joinedOn: ['BETWEEN', 'WITHIN_LAST_DAYS', 'IS_SET', 'IS_NOT_SET'],
  smsConsent: ['EQ'],
  customField: ['MATCHES'],
  lapsed: ['MATCHES'],
};
const DATE_COLUMNS: Record<string, DateColumn> = { birthDate: 'birth_date', firstVisitOn: 'first_visit_on', joinedOn: 'joined_on' };

/** A calendar date `years` years before `date` (29 February becomes the 28th in a common year). */
function yearsBefore(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const year = y - years;
  const last = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

interface Ctx {
  scope: Scope;
  churchId: number;
  today: string;
  now: Date;
  /** refuse unknown ids (a save) or let them match nobody (reading saved rules after a group was deleted) */
  strict: boolean;
  lapsed: number;
}

function idList(p: Problems, path: string, value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > RULE_LIMITS.values) {
    p.add(path, `must be a list of 1-${RULE_LIMITS.values} ids`);
    return undefined;
  }
  const out: number[] = [];
  value.forEach((x, i) => {
    const s = typeof x === 'string' || typeof x === 'number' ? String(x).trim() : '';
    if (!/^\d{1,10}$/.test(s) || Number(s) < 1 || Number(s) > 2_147_483_647) p.add(`${path}[${i}]`, 'is not an id');
    else out.push(Number(s));
  });
  return [...new Set(out)].sort((a, b) => a - b);
}

function enumList<T extends string>(p: Problems, path: string, value: unknown, allowed: readonly T[], what: string): T[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > allowed.length) {
    p.add(path, `must be a list of ${what}: ${allowed.map((a) => a.toUpperCase()).join(', ')}`);
    return undefined;
  }
  const out: T[] = [];
  value.forEach((x, i) => {
    const hit = typeof x === 'string' ? allowed.find((a) => a === x.trim().toLowerCase()) : undefined;
    if (!hit) p.add(`${path}[${i}]`, `must be one of ${allowed.map((a) => a.toUpperCase()).join(', ')}`);
    else out.push(hit);
  });
  return [...new Set(out)].sort();
}

function intIn(p: Problems, path: string, value: unknown, min: number, max: number): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    p.add(path, `must be a whole number ${min}-${max}`);
    return undefined;
  }
  return value;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Ids of `table` in the church among these; in strict mode a missing one is a problem naming its place. */
async function inChurch(c: Ctx, p: Problems, path: string, table: 'tags' | 'groups', ids: number[]): Promise<number[]> {
  const found = new Set(await q.idsInChurch(c.scope.db, c.churchId, table, ids));
  ids.forEach((id, i) => {
    if (!found.has(id) && c.strict) p.add(`${path}[${i}]`, `is not a ${table === 'tags' ? 'tag' : 'group'} of this church`);
  });
  return ids.filter((id) => found.has(id));
}

async function condition(c: Ctx, p: Problems, path: string, input: ConditionInput): Promise<RuleCondition | undefined> {
  if (!isObject(input)) return void p.add(path, 'must be a condition { field, op, value }');
  const field = typeof input.field === 'string' ? input.field.trim() : '';
  const ops = RULE_FIELDS[field];
  if (!ops || !Object.hasOwn(RULE_FIELDS, field)) {
    return void p.add(`${path}.field`, `is not a field a rule can read (one of ${Object.keys(RULE_FIELDS).join(', ')})`);
  }
  const op = typeof input.op === 'string' ? input.op.trim().toUpperCase() : '';
  if (!ops.includes(op)) return void p.add(`${path}.op`, `is not an operator of ${field} (one of ${ops.join(', ')})`);
  const vpath = `${path}.value`;
  const value = input.value;
  const noValue = op === 'IS_SET' || op === 'IS_NOT_SET';
  if (noValue && value !== undefined && value !== null) return void p.add(vpath, `${op} takes no value`);
  switch (field) {
    case 'status': {
      const values = enumList(p, vpath, value, memberStatus.enumValues, 'statuses');
      return values && { k: 'status', not: op === 'NOT_IN', values };
    }
    case 'tags': {
      const ids = idList(p, vpath, value);
      if (!ids) return undefined;
      const found = await inChurch(c, p, vpath, 'tags', ids);
      // a tag that is gone: HAS_ANY / HAS_ALL of it can match nobody, HAS_NONE ignores it
      if (found.length < ids.length && op === 'HAS_ALL') return { k: 'nothing' };
      if (!found.length) return op === 'HAS_NONE' ? { k: 'everyone' } : { k: 'nothing' };
      return { k: 'tags', op: op as 'HAS_ANY' | 'HAS_ALL' | 'HAS_NONE', ids: found };
    }
    case 'groups': {
      if (noValue) return { k: 'inGroup', set: op === 'IS_SET' };
      const ids = idList(p, vpath, value);
      if (!ids) return undefined;
      const found = await inChurch(c, p, vpath, 'groups', ids);
      if (!found.length) return op === 'HAS_NONE' ? { k: 'everyone' } : { k: 'nothing' };
      return { k: 'groups', op: op as 'HAS_ANY' | 'HAS_NONE', ids: found };
    }
    case 'householdRole': {
      if (noValue) return { k: 'inHousehold', set: op === 'IS_SET' };
      const values = enumList(p, vpath, value, householdRole.enumValues, 'household roles');
      return values && { k: 'householdRole', not: op === 'NOT_IN', values };
    }
    case 'age': {
      // age A..B on `today`: born in (today - (B+1) years, today - A years]
      let min: number | undefined = 0;
      let max: number | undefined = 150;
      if (op === 'BETWEEN') {
        if (!isObject(value)) return void p.add(vpath, 'must be { min, max } (ages in years)');
        min = value.min === undefined || value.min === null ? 0 : intIn(p, `${vpath}.min`, value.min, 0, 150);
        max = value.max === undefined || value.max === null ? 150 : intIn(p, `${vpath}.max`, value.max, 0, 150);
        if (min !== undefined && max !== undefined && min > max) return void p.add(`${vpath}.max`, 'must not be below min');
      } else if (op === 'GTE') min = intIn(p, vpath, value, 0, 150);
      else max = intIn(p, vpath, value, 0, 150);
      if (min === undefined || max === undefined) return undefined;
      return { k: 'dateRange', column: 'birth_date', min: addDays(yearsBefore(c.today, max + 1), 1), max: yearsBefore(c.today, min) };
    }
    case 'birthDate':
    case 'firstVisitOn':
    case 'joinedOn': {
      const column = DATE_COLUMNS[field]!;
      if (noValue) return { k: 'dateSet', column, set: op === 'IS_SET' };
      if (op === 'WITHIN_LAST_DAYS') {
        const days = intIn(p, vpath, value, 1, 3660);
        return days === undefined ? undefined : { k: 'dateRange', column, min: addDays(c.today, -(days - 1)), max: c.today };
      }
      if (!isObject(value) || (value.from == null && value.to == null)) return void p.add(vpath, 'must be { from, to } (dates YYYY-MM-DD; either may be left out)');
      const bound = (k: 'from' | 'to') => {
        const x = value[k];
        if (x === undefined || x === null) return null;
        if (typeof x !== 'string') return void p.add(`${vpath}.${k}`, 'must be a date YYYY-MM-DD');
        return v.isoDate(p, `${vpath}.${k}`, x);
      };
      const from = bound('from');
      const to = bound('to');
      if (from === undefined || to === undefined) return undefined;
      if (from && to && from > to) return void p.add(`${vpath}.to`, 'must not be before from');
      return { k: 'dateRange', column, min: from, max: to };
    }
    case 'smsConsent':
      if (typeof value !== 'boolean') return void p.add(vpath, 'must be true (can be texted) or false');
      return { k: 'smsConsent', consent: value };
    case 'customField': {
      if (!isObject(value)) return void p.add(vpath, 'must be a custom field condition { fieldId, isSet | text | min/max | from/to | yesNo | anyOf | allOf }');
      const known = new Set(['fieldId', 'isSet', 'text', 'min', 'max', 'from', 'to', 'yesNo', 'anyOf', 'allOf']);
      const stray = Object.keys(value).find((k) => !known.has(k));
      if (stray) return void p.add(`${vpath}.${stray}`, 'is not part of a custom field condition');
      const before = p.list.length;
      const fc = await fieldFilter(c.scope, p, c.churchId, value as unknown as FieldFilterInput, vpath);
      if (!fc && p.list.length > before && !c.strict && p.list.every((x) => x.field.endsWith('.fieldId'))) {
        p.list.length = before;
        return { k: 'nothing' };
      }
      return fc && { k: 'field', c: fc };
    }
    case 'lapsed': {
      if (value !== undefined && value !== null && !isObject(value)) return void p.add(vpath, 'must be { eventId, minAttendances, previousWeeks, absentWeeks } (all optional)');
      if (++c.lapsed > RULE_LIMITS.lapsed) return void p.add(path, `a list can hold at most ${RULE_LIMITS.lapsed} lapsed rules`);
      const rule = (value ?? {}) as LapsedRule;
      for (const k of ['minAttendances', 'previousWeeks', 'absentWeeks'] as const) {
        if (rule[k] !== undefined && rule[k] !== null && typeof rule[k] !== 'number') return void p.add(`${vpath}.${k}`, 'must be a whole number');
      }
      if (rule.eventId !== undefined && rule.eventId !== null && typeof rule.eventId !== 'string' && typeof rule.eventId !== 'number') return void p.add(`${vpath}.eventId`, 'is not an id');
      try {
        const s = await lapsedSpec(c.scope.db, c.churchId, { ...rule, eventId: rule.eventId == null ? null : String(rule.eventId) }, c.now, `${vpath}.`);
        return { k: 'lapsed', churchId: c.churchId, eventId: s.eventId, minAttendances: s.minAttendances, prevFrom: s.prevFrom.toISOString(), absentFrom: s.absentFrom.toISOString() };
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        // an event series deleted since the list was saved matches nobody
        if (e.code === 'NOT_FOUND' && !c.strict) return { k: 'nothing' };
        const problems = (e.extensions.problems as Array<{ field: string; message: string }> | undefined) ?? [{ field: String(e.extensions.field ?? vpath), message: e.code === 'NOT_FOUND' ? 'is not an event of this church' : e.message }];
        for (const x of problems) p.add(x.field, x.message);
        return undefined;
      }
    }
  }
  return undefined;
}

function matchOf(p: Problems, path: string, m: unknown): Match | undefined {
  if (m === undefined || m === null) return 'ALL';
  if (m === 'ALL' || m === 'ANY') return m;
  p.add(path, 'must be ALL or ANY');
  return undefined;
}

/**
 * Checks a rule set and resolves it for a church as of now: { match, conditions, groups } where
 * each group is { match, conditions } (one level of nesting). Every problem names its place
 * (`input.rules.groups[1].conditions[0].value`); nothing is half-accepted.
 */
export async function resolveRules(
  scope: Scope,
  churchId: number,
  timeZone: string,
  input: RulesInput,
  opts: { path: string; strict: boolean },
): Promise<{ tree: RuleTree; normalized: RulesInput }> {
  const p = new Problems();
  const c: Ctx = { scope, churchId, today: v.todayIn(timeZone, scope.clock.now()), now: scope.clock.now(), strict: opts.strict, lapsed: 0 };
  if (!isObject(input)) throw new AppError('BAD_USER_INPUT', `${opts.path}: must be { match, conditions, groups }`, { field: opts.path });
  const conds: ConditionInput[] = Array.isArray(input.conditions) ? input.conditions : [];
  const groups: NonNullable<RulesInput['groups']> = Array.isArray(input.groups) ? input.groups : [];
  const total = conds.length + groups.reduce((n, g) => n + (Array.isArray(g?.conditions) ? g.conditions.length : 0), 0);
  if (total === 0) p.add(opts.path, 'needs at least one condition');
  else if (total > RULE_LIMITS.conditions) p.add(opts.path, `holds at most ${RULE_LIMITS.conditions} conditions in all`);
  else if (groups.length > RULE_LIMITS.groups) p.add(`${opts.path}.groups`, `holds at most ${RULE_LIMITS.groups} groups`);
  p.throwIfAny();
  const match = matchOf(p, `${opts.path}.match`, input.match);
  const tree: RuleTree = { match: match ?? 'ALL', conditions: [], groups: [] };
  const normalized: RulesInput = { match: match ?? 'ALL', conditions: [], groups: [] };
  const norm = (x: ConditionInput): ConditionInput => ({ field: x.field.trim(), op: x.op.trim().toUpperCase(), ...(x.value === undefined || x.value === null ? {} : { value: x.value }) });
  for (const [i, x] of conds.entries()) {
    const r = await condition(c, p, `${opts.path}.conditions[${i}]`, x);
    if (r) {
      tree.conditions.push(r);
      normalized.conditions!.push(norm(x));
    }
  }
  for (const [gi, g] of groups.entries()) {
    const gpath = `${opts.path}.groups[${gi}]`;
    if (!isObject(g) || !Array.isArray(g.conditions) || g.conditions.length === 0) {
      p.add(`${gpath}.conditions`, 'a group needs at least one condition (groups do not nest further)');
      continue;
    }
    if (g.conditions.length > RULE_LIMITS.perGroup) {
      p.add(`${gpath}.conditions`, `a group holds at most ${RULE_LIMITS.perGroup} conditions`);
      continue;
    }
    const gm = matchOf(p, `${gpath}.match`, g.match) ?? 'ALL';
    const group = { match: gm, conditions: [] as RuleCondition[] };
    const ngroup = { match: gm, conditions: [] as ConditionInput[] };
    for (const [i, x] of g.conditions.entries()) {
      const r = await condition(c, p, `${gpath}.conditions[${i}]`, x);
      if (r) {
        group.conditions.push(r);
        ngroup.conditions.push(norm(x));
      }
    }
    tree.groups.push(group);
    normalized.groups!.push(ngroup);
  }
  p.throwIfAny();
  return { tree, normalized };
}
