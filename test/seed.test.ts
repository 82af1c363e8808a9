import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import postgres from 'postgres';
import { runMigrations } from '../src/db/migrate.js';
import { seedDemo, seedSynthetic } from '../src/db/seed.js';

const SERVER = process.env.TEST_PG_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
const NAMES = {
  a: `steeple_seedtest_${process.pid}_a`,
  b: `steeple_seedtest_${process.pid}_b`,
  demo: `steeple_seedtest_${process.pid}_demo`,
};
const OPTS = { churches: 3, membersPerChurch: 200, seed: 42, asOf: '2025-06-30' };

const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => {} });
const clients: postgres.Sql[] = [];

async function freshDatabase(name: string): Promise<postgres.Sql> {
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = `${SERVER}/${name}`;
  await runMigrations(url);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  clients.push(sql);
  return sql;
}

/** md5 over every member row in (church slug, id) order, without ids or row timestamps. */
async function membersDigest(sql: postgres.Sql): Promise<string> {
  const [r] = await sql`
    SELECT md5(string_agg(concat_ws('|', c.slug, h.name, m.household_role, m.first_name, m.last_name, m.email,
                                    m.phone, m.status, m.first_visit_on, m.joined_on, m.inactivated_on,
                                    m.birth_date, m.sms_opted_out_at, m.sms_opt_out_via, m.archived_at),
                          E'\n' ORDER BY c.slug, m.id)) AS digest
    FROM members m JOIN churches c ON c.id = m.church_id LEFT JOIN households h ON h.id = m.household_id`;
  return r!.digest as string;
}

/** md5 over churches, groups and memberships (by church slug, group name, member position). */
async function restDigest(sql: postgres.Sql): Promise<string> {
  const [r] = await sql`
    WITH pos AS (SELECT id, row_number() OVER (PARTITION BY church_id ORDER BY id) AS p FROM members)
    SELECT md5(
      (SELECT string_agg(concat_ws('|', name, slug, time_zone, sms_from_number), E'\n' ORDER BY slug) FROM churches) ||
      (SELECT string_agg(concat_ws('|', c.slug, g.name, g.kind, g.description), E'\n' ORDER BY c.slug, g.id)
         FROM groups g JOIN churches c ON c.id = g.church_id) ||
      (SELECT string_agg(concat_ws('|', c.slug, g.name, pos.p, gm.role, gm.joined_on), E'\n' ORDER BY c.slug, g.id, pos.p)
         FROM group_memberships gm JOIN churches c ON c.id = gm.church_id JOIN groups g ON g.id = gm.group_id
         JOIN pos ON pos.id = gm.member_id)
    ) AS digest`;
  return r!.digest as string;
}

describe('seed', () => {
  let a: postgres.Sql;
  let b: postgres.Sql;
  let demo: postgres.Sql;

  beforeAll(async () => {
    [a, b, demo] = await Promise.all([freshDatabase(NAMES.a), freshDatabase(NAMES.b), freshDatabase(NAMES.demo)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()));
    for (const name of Object.values(NAMES)) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  describe('seedSynthetic, 3 churches x 200 members', () => {
    let result: Awaited<ReturnType<typeof seedSynthetic>>;
    beforeAll(async () => {
      result = await seedSynthetic(a, OPTS);
    });

    it('reports and stores the expected counts', async () => {
      expect(result.churches).toBe(3);
      expect(result.members).toBe(600);
      expect(result.groups).toBe(3 * 8); // 200 / 25 per church
      expect(result.households).toBeGreaterThan(600 / 3.5);
      expect(result.households).toBeLessThan(600 / 2);
      expect(result.memberships).toBeGreaterThan(400);
      expect(result.ms).toBeGreaterThanOrEqual(0);
      const [c] = await a`
        SELECT (SELECT count(*) FROM churches)::int AS churches, (SELECT count(*) FROM members)::int AS members,
               (SELECT count(*) FROM households)::int AS households, (SELECT count(*) FROM groups)::int AS groups,
               (SELECT count(*) FROM group_memberships)::int AS memberships`;
      expect(c).toEqual({
        churches: 3,
        members: 600,
        households: result.households,
        groups: 24,
        memberships: result.memberships,
      });
      const slugs = await a`SELECT slug FROM churches ORDER BY slug`;
      expect(slugs.map((r) => r.slug)).toEqual(['synthetic-42-1', 'synthetic-42-2', 'synthetic-42-3']);
    });

    it('keeps households, groups and memberships within one church', async () => {
      const [r] = await a`
        SELECT
          (SELECT count(*) FROM members m JOIN households h ON h.id = m.household_id
            WHERE h.church_id <> m.church_id)::int AS foreign_households,
          (SELECT count(*) FROM members WHERE (household_id IS NULL) <> (household_role IS NULL))::int AS role_mismatch,
          (SELECT count(*) FROM households h WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.household_id = h.id))::int AS empty_households,
          (SELECT count(*) FROM households h
            WHERE (SELECT count(*) FROM members m WHERE m.household_id = h.id AND m.household_role = 'head') <> 1)::int AS not_one_head,
          (SELECT count(*) FROM group_memberships gm JOIN members m ON m.id = gm.member_id JOIN groups g ON g.id = gm.group_id
            WHERE m.church_id <> g.church_id OR gm.church_id <> m.church_id)::int AS foreign_memberships,
          (SELECT count(*) FROM group_memberships gm JOIN members m ON m.id = gm.member_id WHERE m.archived_at IS NOT NULL)::int AS archived_in_groups,
          (SELECT max(n) FROM (SELECT count(*) AS n FROM group_memberships GROUP BY member_id) x)::int AS max_groups_per_member`;
      expect(r).toEqual({
        foreign_households: 0,
        role_mismatch: 0,
        empty_households: 0,
        not_one_head: 0,
        foreign_memberships: 0,
        archived_in_groups: 0,
        max_groups_per_member: 3,
      });
    });

    it('has consistent statuses, dates and contact details', async () => {
      const [r] = await a`
        SELECT
          count(*) FILTER (WHERE status IN ('member', 'inactive') AND joined_on IS NULL)::int AS members_without_join,
          count(*) FILTER (WHERE status = 'inactive' AND (inactivated_on IS NULL OR inactivated_on < joined_on))::int AS bad_inactive,
          count(*) FILTER (WHERE status <> 'inactive' AND inactivated_on IS NOT NULL)::int AS stray_inactivated,
          count(*) FILTER (WHERE status = 'visitor' AND (first_visit_on IS NULL OR first_visit_on < DATE '2025-06-30' - 366
                                                        OR first_visit_on >= DATE '2025-06-30'))::int AS bad_visitors,
          count(*) FILTER (WHERE first_visit_on > joined_on OR birth_date > coalesce(first_visit_on, joined_on))::int AS bad_order,
          count(*) FILTER (WHERE phone IS NOT NULL AND phone !~ '^\\+[1-9][0-9]{6,14}$')::int AS bad_phones,
          count(*) FILTER (WHERE email IS NOT NULL AND email <> lower(email))::int AS bad_emails,
          count(*) FILTER (WHERE (sms_opted_out_at IS NULL) <> (sms_opt_out_via IS NULL))::int AS bad_opt_out,
          count(*) FILTER (WHERE sms_opt_out_via IS NOT NULL AND sms_opt_out_via <> 'keyword:STOP')::int AS bad_opt_out_via,
          count(*) FILTER (WHERE status = 'visitor')::int AS visitors,
          count(*) FILTER (WHERE status = 'member')::int AS members,
          count(*) FILTER (WHERE email IS NOT NULL)::int AS with_email,
          count(*) FILTER (WHERE phone IS NOT NULL)::int AS with_phone,
          count(*) FILTER (WHERE birth_date IS NOT NULL)::int AS with_birth_date
        FROM members`;
      expect(r).toMatchObject({
        members_without_join: 0,
        bad_inactive: 0,
        stray_inactivated: 0,
        bad_visitors: 0,
        bad_order: 0,
        bad_phones: 0,
        bad_emails: 0,
        bad_opt_out: 0,
        bad_opt_out_via: 0,
      });
      // the mix is roughly as specified (600 rows, so generous bounds)
      expect(r!.visitors).toBeGreaterThan(50);
      expect(r!.visitors).toBeLessThan(140);
      expect(r!.members).toBeGreaterThan(270);
      expect(r!.members).toBeLessThan(390);
      expect(r!.with_email).toBeGreaterThan(420);
      expect(r!.with_phone).toBeGreaterThan(450);
      expect(r!.with_birth_date).toBeGreaterThan(360);
      const [dup] = await a`
        SELECT count(*)::int AS n FROM (SELECT church_id, phone FROM members WHERE phone IS NOT NULL
                                        GROUP BY 1, 2 HAVING count(*) > 1) d`;
      expect(dup!.n).toBe(0);
    });

    it('is deterministic: the same options on another empty database give the same rows', async () => {
      const again = await seedSynthetic(b, OPTS);
      expect({ ...again, ms: 0 }).toEqual({ ...result, ms: 0 });
      expect(await membersDigest(b)).toBe(await membersDigest(a));
      expect(await restDigest(b)).toBe(await restDigest(a));
    });

    it('refuses to seed the same seed twice, and adds other seeds beside existing churches', async () => {
      await expect(seedSynthetic(a, OPTS)).rejects.toThrow(/seed 42/);
      const more = await seedSynthetic(a, { churches: 2, membersPerChurch: 50, seed: 7, asOf: OPTS.asOf });
      expect(more).toMatchObject({ churches: 2, members: 100, groups: 4 });
      const [r] = await a`
        SELECT count(*)::int AS n FROM members m JOIN households h ON h.id = m.household_id
        WHERE h.church_id <> m.church_id`;
      expect(r!.n).toBe(0);
    });
  });

  describe('seedDemo', () => {
    it('seeds an empty database once, then leaves it alone', async () => {
      expect(await seedDemo(demo)).toBe(true);
      const churches = await demo`
        SELECT c.slug, c.time_zone, c.sms_from_number, count(m.*)::int AS members,
               (SELECT count(*) FROM groups g WHERE g.church_id = c.id)::int AS groups,
               (SELECT count(*) FROM households h WHERE h.church_id = c.id)::int AS households
        FROM churches c LEFT JOIN members m ON m.church_id = c.id
        GROUP BY c.id ORDER BY c.slug`;
      expect(churches.map((c) => [c.slug, c.time_zone, c.sms_from_number, c.members])).toEqual([
        ['grace', 'America/Chicago', '+15005550006', 120],
        ['st-marks', 'Europe/London', null, 60],
      ]);
      for (const c of churches) {
        expect(c.groups).toBeGreaterThanOrEqual(2);
        expect(c.households).toBeGreaterThan(10);
      }
      expect(await seedDemo(demo)).toBe(false);
      const [n] = await demo`SELECT count(*)::int AS n FROM churches`;
      expect(n!.n).toBe(2);
    });

    it('has custom fields with answers, tags on people and smart lists using them', async () => {
      const rows = await demo`
        SELECT c.slug,
               (SELECT count(*) FROM custom_fields f WHERE f.church_id = c.id)::int AS fields,
               (SELECT count(*) FROM member_field_values v WHERE v.church_id = c.id)::int AS answers,
               (SELECT count(DISTINCT v.field_id) FROM member_field_values v WHERE v.church_id = c.id)::int AS answered_fields,
               (SELECT count(*) FROM tags t WHERE t.church_id = c.id)::int AS tags,
               (SELECT count(*) FROM member_tags mt WHERE mt.church_id = c.id)::int AS tagged,
               (SELECT count(*) FROM smart_lists l WHERE l.church_id = c.id)::int AS lists
        FROM churches c ORDER BY c.slug`;
      for (const r of rows) {
        expect(r).toMatchObject({ fields: 6, answered_fields: 6, tags: 4, lists: 5 });
        expect(r.answers).toBeGreaterThan(50);
        expect(r.tagged).toBeGreaterThan(10);
      }
      // every id a seeded rule names is of the list's own church
      const [bad] = await demo`
        SELECT count(*)::int AS n FROM smart_lists l, jsonb_array_elements(l.rules->'conditions') c
        WHERE (c->>'field' = 'customField' AND NOT EXISTS (SELECT 1 FROM custom_fields f WHERE f.id = (c->'value'->>'fieldId')::int AND f.church_id = l.church_id))
           OR (c->>'field' = 'tags' AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.id = (c->'value'->>0)::int AND t.church_id = l.church_id))`;
      expect(bad!.n).toBe(0);
    });

    it('has a year of attendance: three weekly series per church, check-ins of its own people, people who stopped coming', async () => {
      const series = await demo`
        SELECT c.slug, count(*)::int AS events, count(e.group_id)::int AS group_events FROM events e JOIN churches c ON c.id = e.church_id
        GROUP BY c.slug ORDER BY c.slug`;
      expect(series.map((r) => [r.slug, r.events, r.group_events])).toEqual([['grace', 3, 1], ['st-marks', 3, 1]]);
      const [a] = await demo`
        SELECT count(*)::int AS n,
               count(*) FILTER (WHERE m.church_id <> ci.church_id OR m.archived_at IS NOT NULL)::int AS wrong,
               (max(ci.occurrence_start) - min(ci.occurrence_start)) > interval '350 days' AS a_year,
               max(ci.occurrence_start) < now() AS past
        FROM check_ins ci JOIN members m ON m.id = ci.member_id`;
      expect(a!.n).toBeGreaterThan(5000);
      expect(a!).toMatchObject({ wrong: 0, a_year: true, past: true });
      // every check-in is at a start its event's rule gives: 10:00 local on Sundays, 19:00 otherwise
      const [bad] = await demo`
        SELECT count(*)::int AS n FROM check_ins ci JOIN events e ON e.id = ci.event_id
        WHERE to_char(ci.occurrence_start AT TIME ZONE e.time_zone, 'HH24:MI') <> right(e.starts_local, 5)
           OR extract(dow FROM ci.occurrence_start AT TIME ZONE e.time_zone) <> extract(dow FROM left(e.starts_local, 10)::date)`;
      expect(bad!.n).toBe(0);
      // the lapsed rule's default (3 in the 8 weeks before the last 4, none since) finds people
      const [lapsed] = await demo`
        SELECT count(*)::int AS n FROM (
          SELECT ci.member_id FROM check_ins ci JOIN members m ON m.id = ci.member_id AND m.status IN ('regular', 'member')
          WHERE ci.occurrence_start >= now() - interval '12 weeks'
          GROUP BY ci.member_id
          HAVING count(*) FILTER (WHERE ci.occurrence_start >= now() - interval '4 weeks') = 0 AND count(*) >= 3) x`;
      expect(lapsed!.n).toBeGreaterThan(0);
      const [cancelled] = await demo`SELECT count(*)::int AS n FROM event_occurrences WHERE cancelled_at IS NOT NULL`;
      expect(cancelled!.n).toBe(2);
    });
  });
});
