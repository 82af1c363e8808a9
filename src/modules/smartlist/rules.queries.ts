import { sql, type SQL } from 'drizzle-orm';
import type { HouseholdRole, MemberStatus } from '../../db/schema/index.js';
import { intArray } from '../../db/sql.js';
import { lapsedIdsSql } from '../event/attendance.queries.js';
import { fieldConditionSql, type FieldCondition } from '../field/field.queries.js';
import { phoneOptedOutSql } from '../member/consent.queries.js';

/** A member column a date condition reads (age is a birth_date range). */
export type DateColumn = 'birth_date' | 'first_visit_on' | 'joined_on';

/**
 * One rule, resolved: ids checked against the church, relative windows (ages, "last N days", the
 * lapsed weeks) turned into dates and instants as of the read. Plain data, compiled by ruleSql.
 */
export type RuleCondition =
  | { k: 'status'; not: boolean; values: MemberStatus[] }
  | { k: 'tags'; op: 'HAS_ANY' | 'HAS_ALL' | 'HAS_NONE'; ids: number[] }
  | { k: 'groups'; op: 'HAS_ANY' | 'HAS_NONE'; ids: number[] }
  | { k: 'inGroup'; set: boolean }
  | { k: 'householdRole'; not: boolean; values: HouseholdRole[] }
  | { k: 'inHousehold'; set: boolean }
  | { k: 'dateRange'; column: DateColumn; min: string | null; max: string | null }
  | { k: 'dateSet'; column: DateColumn; set: boolean }
  | { k: 'smsConsent'; consent: boolean }
  | { k: 'field'; c: FieldCondition }
  | { k: 'lapsed'; eventId: number | null; minAttendances: number; prevFrom: string; absentFrom: string; churchId: number }
  /** a rule naming only things that no longer exist: matches nobody (HAS_ANY) or everybody (HAS_NONE) */
  | { k: 'nothing' }
  | { k: 'everyone' };

export type Match = 'ALL' | 'ANY';
export interface RuleTree {
  match: Match;
  conditions: RuleCondition[];
  groups: Array<{ match: Match; conditions: RuleCondition[] }>;
}

/** One condition on the member `m` of the enclosing statement; every value is a parameter. */
export function conditionSql(c: RuleCondition): SQL {
  switch (c.k) {
    case 'status': {
      const inList = sql`m.status = ANY(string_to_array(${c.values.join(',')}, ',')::member_status[])`;
      return c.not ? sql`NOT (${inList})` : inList;
    }
    case 'tags': {
      if (c.op === 'HAS_ALL') {
        return sql`(SELECT count(*) FROM member_tags mt WHERE mt.member_id = m.id AND mt.tag_id = ANY(${intArray(c.ids)})) = ${c.ids.length}`;
      }
      const any = sql`EXISTS (SELECT 1 FROM member_tags mt WHERE mt.member_id = m.id AND mt.tag_id = ANY(${intArray(c.ids)}))`;
      return c.op === 'HAS_ANY' ? any : sql`NOT ${any}`;
    }
    case 'groups': {
      const any = sql`EXISTS (SELECT 1 FROM group_memberships gm WHERE gm.member_id = m.id AND gm.group_id = ANY(${intArray(c.ids)}))`;
      return c.op === 'HAS_ANY' ? any : sql`NOT ${any}`;
    }
    case 'inGroup': {
      const any = sql`EXISTS (SELECT 1 FROM group_memberships gm WHERE gm.member_id = m.id)`;
      return c.set ? any : sql`NOT ${any}`;
    }
    case 'householdRole': {
      const inList = sql`m.household_role = ANY(string_to_array(${c.values.join(',')}, ',')::household_role[])`;
      return c.not ? sql`(m.household_role IS NULL OR NOT (${inList}))` : inList;
    }
    case 'inHousehold':
      return c.set ? sql`m.household_id IS NOT NULL` : sql`m.household_id IS NULL`;
    case 'dateRange': {
      const col = sql.raw(`m.${c.column}`);
      const parts: SQL[] = [sql`${col} IS NOT NULL`];
      if (c.min !== null) parts.push(sql`${col} >= ${c.min}::date`);
      if (c.max !== null) parts.push(sql`${col} <= ${c.max}::date`);
      return sql`(${sql.join(parts, sql` AND `)})`;
    }
    case 'dateSet':
      return c.set ? sql`${sql.raw(`m.${c.column}`)} IS NOT NULL` : sql`${sql.raw(`m.${c.column}`)} IS NULL`;
    case 'smsConsent': {
      // can be texted: a number, no opt-out of the person, none of the number (sms_consents)
      const can = sql`(m.phone IS NOT NULL AND m.sms_opted_out_at IS NULL AND NOT ${phoneOptedOutSql(sql`m.church_id`, sql`m.phone`)})`;
      return c.consent ? can : sql`NOT ${can}`;
    }
    case 'field':
      return fieldConditionSql(c.c);
    case 'lapsed':
      // the lapsed list (lapsedPeople): regulars and members with N check-ins before the absent weeks and none since
      return sql`(m.status IN ('regular', 'member') AND m.id IN (SELECT l.member_id FROM (${lapsedIdsSql({
        churchId: c.churchId,
        eventId: c.eventId,
        minAttendances: c.minAttendances,
        prevFrom: new Date(c.prevFrom),
        absentFrom: new Date(c.absentFrom),
      })}) l))`;
    case 'nothing':
      return sql`FALSE`;
    case 'everyone':
      return sql`TRUE`;
  }
}

function joined(match: Match, parts: SQL[]): SQL {
  if (!parts.length) return match === 'ALL' ? sql`TRUE` : sql`FALSE`;
  return sql`(${sql.join(parts, match === 'ALL' ? sql` AND ` : sql` OR `)})`;
}

/** A rule tree as one parameterized condition on `m`. */
export function ruleSql(t: RuleTree): SQL {
  return joined(t.match, [...t.conditions.map(conditionSql), ...t.groups.map((g) => joined(g.match, g.conditions.map(conditionSql)))]);
}

