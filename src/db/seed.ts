import { performance } from 'node:perf_hooks';
import type postgres from 'postgres';

/**
 * Synthetic and demo data, generated entirely in SQL (generate_series + INSERT ... SELECT) so that
 * hundreds of thousands of members take seconds, not minutes.
 *
 * Determinism: every "random" choice is a slice of md5(seed, table, church ordinal, row ordinal),
 * never random(), and dates are offsets from one anchor date (`asOf`, default CURRENT_DATE). The same
 * options on an empty database therefore produce the same rows (and, in practice, the same ids).
 *
 * Ids: the id columns are GENERATED ALWAYS AS IDENTITY. Churches are inserted without ids and found
 * again by their unique slug. Households, members and groups take their ids from the column's own
 * identity sequence (nextval, so other writers can never collide with them) into a temp table first;
 * the rows are then inserted with OVERRIDING SYSTEM VALUE, and every reference (member → household,
 * membership → member/group) is a join on that temp table, correct whatever the database already holds.
 */

export interface SeedSyntheticOptions {
  churches: number;
  membersPerChurch: number;
  /** Varies every generated value and the church slugs (`synthetic-<seed>-<n>`). Default 1. */
  seed?: number;
  /** Anchor date ('YYYY-MM-DD') for every generated date. Default: the database's CURRENT_DATE. */
  asOf?: string;
}

export interface SeedResult {
  churches: number;
  members: number;
  households: number;
  groups: number;
  memberships: number;
  ms: number;
}

type Tx = postgres.TransactionSql;

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
const arr = (xs: readonly string[]) => `ARRAY[${xs.map(lit).join(',')}]::text[]`;
/** 28-bit non-negative integer from hex digits [8*slot+1, 8*slot+7] of an md5 text column. */
const H = (md5col: string, slot: 0 | 1 | 2 | 3) => `('x' || substr(${md5col}, ${slot * 8 + 1}, 7))::bit(28)::int`;
/** One element of a literal text array chosen by a non-negative integer expression. */
const pick = (xs: readonly string[], idx: string) => `(${arr(xs)})[1 + (${idx}) % ${xs.length}]`;

const FIRST_NAMES = [
  'James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth',
  'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Daniel', 'Nancy', 'Matthew', 'Lisa', 'Anthony', 'Betty', 'Mark', 'Margaret', 'Paul', 'Sandra',
  'Steven', 'Ashley', 'Andrew', 'Emily', 'Joshua', 'Grace', 'Samuel', 'Hannah', 'Benjamin', 'Abigail',
  'Caleb', 'Ruth', 'Isaiah', 'Esther', 'Elijah', 'Naomi', 'Gabriel', 'Olivia', 'Chinedu', 'Ngozi',
  'Miguel', 'Sofia', 'José', 'Maria', 'Wei', 'Mei', 'Rafael', 'Isabella', 'Oluwaseun', 'Adaeze',
];
const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  "O'Brien", 'Okafor', 'Adeyemi', 'Santos', 'Reyes', 'Cruz', 'Kim', 'Park', 'Chen', 'Murphy-Hayes',
];
// Real area codes with the 555 exchange: valid E.164 to libphonenumber, and conventionally fictional.
const MEMBER_AREAS = [
  '212', '312', '415', '617', '713', '214', '305', '404', '206', '303',
  '602', '615', '704', '512', '503', '612', '314', '216', '412', '919',
];
const CHURCH_AREAS = ['833', '844', '855', '866', '877', '888']; // toll-free, for church SMS numbers
const TIME_ZONES = [
  'America/New_York', 'America/New_York', 'America/Chicago', 'America/Chicago', 'America/Denver',
  'America/Los_Angeles', 'America/Los_Angeles', 'America/Phoenix', 'Europe/London', 'Africa/Lagos',
  'Asia/Manila', 'Asia/Seoul',
];
const CHURCH_PREFIXES = [
  'Grace', 'Trinity', 'Hope', 'New Life', 'Cornerstone', 'Redeemer', 'Calvary', 'Bethel', 'Emmanuel',
  'Harvest', 'Living Water', 'Christ the King', "St. Paul's", "St. Andrew's", 'First Baptist',
  'Good Shepherd', 'Faith', 'Mount Zion', 'Covenant', 'Victory',
];
const CHURCH_SUFFIXES = ['Church', 'Community Church', 'Chapel', 'Fellowship', 'Bible Church', 'Parish'];
const TOWNS = [
  'Springfield', 'Riverside', 'Fairview', 'Oak Park', 'Franklin', 'Greenville', 'Madison', 'Georgetown',
  'Salem', 'Clinton', 'Ashland', 'Lakewood', 'Brookfield', 'Cedar Falls', 'Millbrook', 'Hillsdale',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const AUDIENCES = ["Men's", "Women's", 'Young Adults', 'Couples', 'Seniors', 'College', "Moms'", 'Neighborhood'];
const TOPICS = ['Bible Study', 'Prayer Group', 'Book Club', 'Life Group', 'Fellowship', 'Breakfast'];
const SMALL_GROUP_COMBOS = DAYS.length * AUDIENCES.length * TOPICS.length; // 336; 97 is coprime to it
const MINISTRIES = [
  "Children's Ministry", 'Youth Ministry', 'Food Pantry', 'Hospital Visitation', 'Music Ministry',
  'Missions Committee', 'Prison Ministry', 'Care Ministry', 'Nursery', 'Outreach',
];
const TEAMS = ['Worship Team', 'Greeters', 'Ushers', 'Tech Team', 'Hospitality Team', 'Parking Team', 'Setup Crew', 'Prayer Team'];
const CLASSES = ['Membership Class', 'Alpha Course', 'Marriage Preparation', 'Financial Peace', 'Baptism Class', 'Confirmation Class'];
const OTHER_GROUPS = ["Men's Breakfast", 'Knitting Circle', 'Softball League', 'Book Swap', 'Walking Club', 'Choir Alumni'];

const seqOf = (table: string) => `pg_get_serial_sequence('${table}', 'id')`;

/** Settings for one big batch; SET LOCAL, so they end with the transaction. */
async function prepare(tx: Tx): Promise<void> {
  await tx.unsafe(`SET LOCAL statement_timeout = 0`);
  await tx.unsafe(`SET LOCAL work_mem = '64MB'`);
  await tx.unsafe(`SET LOCAL synchronous_commit = off`);
}

/**
 * Households, members, groups and memberships for the churches listed in temp table
 * _seed_c(n, church_id, members, groups), n being the church's ordinal within this run.
 */
async function generateChurchContents(
  tx: Tx,
  seed: number,
  asOf: string | null,
): Promise<Omit<SeedResult, 'churches' | 'ms'>> {
  const S = `${seed}::text`;
  await tx.unsafe(`ANALYZE _seed_c`);

  // ---- plan every member (ids reserved from the identity sequence, in (n, i) order) ----
  // a..k: independent 28-bit values from two md5 hashes of (seed, church ordinal, member ordinal).
  await tx.unsafe(
    `CREATE TEMP TABLE _seed_m ON COMMIT DROP AS
     WITH base AS (
       SELECT c.n, c.church_id, i,
              md5(${S} || ':m1:' || c.n || ':' || i) AS h1,
              md5(${S} || ':m2:' || c.n || ':' || i) AS h2
       FROM _seed_c c CROSS JOIN LATERAL generate_series(1, c.members) AS i
     ), r AS (
       SELECT n, church_id, i,
              ${H('h1', 0)} AS a, ${H('h1', 1)} AS b, ${H('h1', 2)} AS c, ${H('h1', 3)} AS d,
              ${H('h2', 0)} AS e, ${H('h2', 1)} AS f, ${H('h2', 2)} AS g, ${H('h2', 3)} AS k
       FROM base
     ), hh AS (
       -- ~92% live in a household; a new household starts with probability 0.43 (≈ 2.5 members each)
       SELECT r.*, (i = 1 OR a % 100 >= 8) AS in_hh, (i = 1 OR (a % 100 >= 8 AND b % 100 < 43)) AS starts
       FROM r
     ), hh2 AS (
       SELECT hh.*, CASE WHEN in_hh THEN sum(starts::int) OVER (PARTITION BY church_id ORDER BY i) END AS hh_no
       FROM hh
     ), hh3 AS (
       SELECT hh2.*,
              row_number() OVER (PARTITION BY church_id, hh_no ORDER BY i) AS hh_pos,
              CASE WHEN in_hh THEN ${H(`md5(${S} || ':h:' || n || ':' || hh_no)`, 0)} END AS hh_hash
       FROM hh2
     ), roles AS (
       SELECT hh3.*,
              CASE WHEN NOT in_hh THEN NULL
                   WHEN hh_pos = 1 THEN 'head'
                   WHEN hh_pos = 2 THEN CASE WHEN (b / 100) % 100 < 75 THEN 'spouse' ELSE 'other' END
                   ELSE CASE WHEN (b / 100) % 100 < 85 THEN 'child' ELSE 'other' END
              END::household_role AS role,
              CASE WHEN e % 100 < 15 THEN 'visitor' WHEN e % 100 < 35 THEN 'regular'
                   WHEN e % 100 < 90 THEN 'member' ELSE 'inactive' END::member_status AS status,
              ((i::bigint - 1) * 7919 + n::bigint * 104729 + ${S}::bigint) % ${MEMBER_AREAS.length * 10000} AS phone_x,
              coalesce($1::date, CURRENT_DATE) AS as_of
       FROM hh3
     ), people AS (
       SELECT roles.*,
              ${pick(FIRST_NAMES, 'd')} AS first_name,
              CASE WHEN role IN ('head', 'child') OR (role = 'spouse' AND c % 100 >= 15)
                   THEN ${pick(LAST_NAMES, 'hh_hash')} ELSE ${pick(LAST_NAMES, 'c / 100')} END AS last_name,
              -- every date is at most as_of - 1
              CASE status
                WHEN 'member' THEN as_of - (1 + f % 3652)
                WHEN 'inactive' THEN as_of - (60 + f % 3593)
              END AS joined_on
       FROM roles
     ), visits AS (
       SELECT people.*,
              CASE status
                WHEN 'visitor' THEN as_of - (1 + f % 364)
                WHEN 'regular' THEN as_of - (30 + f % 1800)
                ELSE CASE WHEN g % 100 < 60 THEN joined_on - ((g / 100) % 400) END
              END AS first_visit_on,
              CASE WHEN status = 'inactive' THEN joined_on + 1 + (g % ((as_of - joined_on) - 1)) END AS inactivated_on
       FROM people
     ), dated AS (
       -- a birth date (~70%): children 1-17, adults 18-85, never after the person's first visit or joining
       SELECT visits.*,
              CASE WHEN k % 100 < 70 THEN
                least(as_of - ((CASE WHEN role = 'child' THEN 1 + (k / 100) % 17 ELSE 18 + (k / 100) % 68 END) * 365
                               + (k / 10000) % 365),
                      coalesce(first_visit_on, joined_on))
              END AS birth_date
       FROM visits
     )
     SELECT nextval(${seqOf('members')})::int AS id, s.*
     FROM (
       SELECT n, church_id, i, hh_no, role AS household_role, first_name, last_name,
              CASE WHEN (a / 100) % 100 < 80 THEN
                lower(regexp_replace(translate(first_name, 'é', 'e'), '[^A-Za-z]', '', 'g')) || '.' ||
                lower(regexp_replace(last_name, '[^A-Za-z]', '', 'g')) || i || '@example.org'
              END AS email,
              CASE WHEN (b / 10000) % 100 < 85 THEN
                '+1' || ${pick(MEMBER_AREAS, 'phone_x / 10000')} || '555' || lpad((phone_x % 10000)::text, 4, '0')
              END AS phone,
              status, first_visit_on, joined_on, inactivated_on,
              birth_date,
              CASE WHEN (b / 10000) % 100 < 85 AND (c / 10000) % 100 < 3 THEN
                (greatest(coalesce(first_visit_on, joined_on), as_of - 1 - (d / 100) % 365)::timestamp
                  + make_interval(secs => 32400 + (d / 1000) % 36000)) AT TIME ZONE 'UTC'
              END AS sms_opted_out_at,
              (d / 10000) % 100 < 2 AS archived,
              (greatest(coalesce(inactivated_on, joined_on, first_visit_on), as_of - 1 - (g / 1000) % 180)::timestamp
                + make_interval(secs => 32400 + (e / 1000) % 32400)) AT TIME ZONE 'UTC' AS archive_at,
              coalesce(joined_on, first_visit_on) AS active_from,
              coalesce(inactivated_on, as_of - 1) AS active_to
       FROM dated
       ORDER BY n, i
     ) s`,
    [asOf],
  );
  await tx.unsafe(`ANALYZE _seed_m`);

  // ---- households ----
  await tx.unsafe(
    `CREATE TEMP TABLE _seed_h ON COMMIT DROP AS
     SELECT nextval(${seqOf('households')})::int AS id, s.*
     FROM (
       SELECT n, church_id, hh_no, last_name || ' household' AS name
       FROM _seed_m WHERE household_role = 'head'
       ORDER BY n, hh_no
     ) s`,
  );
  const households = await tx.unsafe(
    `INSERT INTO households (id, church_id, name) OVERRIDING SYSTEM VALUE
     SELECT id, church_id, name FROM _seed_h ORDER BY id`,
  );

  // ---- members ----
  const members = await tx.unsafe(
    `INSERT INTO members (id, church_id, household_id, household_role, first_name, last_name, email, phone,
                          status, first_visit_on, joined_on, inactivated_on, birth_date,
                          sms_opted_out_at, sms_opt_out_via, archived_at)
     OVERRIDING SYSTEM VALUE
     SELECT m.id, m.church_id, h.id, m.household_role, m.first_name, m.last_name, m.email, m.phone,
            m.status, m.first_visit_on, m.joined_on, m.inactivated_on, m.birth_date,
            m.sms_opted_out_at, CASE WHEN m.sms_opted_out_at IS NOT NULL THEN 'keyword:STOP' END,
            CASE WHEN m.archived THEN m.archive_at END
     FROM _seed_m m
     LEFT JOIN _seed_h h ON h.church_id = m.church_id AND h.hh_no = m.hh_no
     ORDER BY m.id`,
  );

  // ---- groups: the j-th group of a church; names unique per church until a kind's list runs out ----
  await tx.unsafe(
    `CREATE TEMP TABLE _seed_g ON COMMIT DROP AS
     WITH g AS (
       SELECT c.n, c.church_id, j,
              ${H(`md5(${S} || ':g:' || c.n || ':' || j)`, 0)} AS a,
              ${H(`md5(${S} || ':go:' || c.n)`, 0)} % ${SMALL_GROUP_COMBOS} AS combo_offset
       FROM _seed_c c CROSS JOIN LATERAL generate_series(1, c.groups) AS j
     ), kinds AS (
       SELECT g.*,
              CASE WHEN j = 1 OR a % 100 < 60 THEN 'small_group' WHEN a % 100 < 75 THEN 'ministry'
                   WHEN a % 100 < 87 THEN 'team' WHEN a % 100 < 96 THEN 'class' ELSE 'other' END::group_kind AS kind
       FROM g
     ), kth AS (
       SELECT kinds.*, row_number() OVER (PARTITION BY church_id, kind ORDER BY j) - 1 AS kth,
              (((row_number() OVER (PARTITION BY church_id, kind ORDER BY j) - 1) * 97 + combo_offset)
                % ${SMALL_GROUP_COMBOS})::int AS combo
       FROM kinds
     ), named AS (
       SELECT kth.*,
              CASE kind
                WHEN 'small_group' THEN ${pick(DAYS, 'combo')} || ' ' || ${pick(AUDIENCES, `combo / ${DAYS.length}`)}
                                        || ' ' || ${pick(TOPICS, `combo / ${DAYS.length * AUDIENCES.length}`)}
                WHEN 'ministry' THEN ${pick(MINISTRIES, 'kth')}
                WHEN 'team' THEN ${pick(TEAMS, 'kth')}
                WHEN 'class' THEN ${pick(CLASSES, 'kth')}
                ELSE ${pick(OTHER_GROUPS, 'kth')}
              END
              || CASE
                   WHEN kind = 'small_group' AND kth >= ${SMALL_GROUP_COMBOS} THEN ' ' || (kth / ${SMALL_GROUP_COMBOS} + 1)
                   WHEN kind = 'ministry' AND kth >= ${MINISTRIES.length} THEN ' ' || (kth / ${MINISTRIES.length} + 1)
                   WHEN kind = 'team' AND kth >= ${TEAMS.length} THEN ' ' || (kth / ${TEAMS.length} + 1)
                   WHEN kind = 'class' AND kth >= ${CLASSES.length} THEN ' ' || (kth / ${CLASSES.length} + 1)
                   WHEN kind = 'other' AND kth >= ${OTHER_GROUPS.length} THEN ' ' || (kth / ${OTHER_GROUPS.length} + 1)
                   ELSE ''
                 END AS name,
              CASE kind
                WHEN 'small_group' THEN 'Meets ' || ${pick(DAYS, 'combo')} || 's at ' || (6 + (a / 100) % 3) || ' pm.'
                WHEN 'class' THEN 'Runs for ' || (4 + (a / 100) % 9) || ' weeks, several times a year.'
              END AS description
       FROM kth
     )
     SELECT nextval(${seqOf('groups')})::int AS id, s.*
     FROM (SELECT n, church_id, j, kind, name, description FROM named ORDER BY n, j) s`,
  );
  await tx.unsafe(`ANALYZE _seed_g`);
  const groups = await tx.unsafe(
    `INSERT INTO groups (id, church_id, name, kind, description) OVERRIDING SYSTEM VALUE
     SELECT id, church_id, name, kind, description FROM _seed_g ORDER BY id`,
  );

  // ---- memberships: each non-archived member in 0-3 distinct groups of their own church ----
  // Group slots base + k*stride (mod G), k < 3: distinct because 0 < stride < G and 2*stride <> G.
  const memberships = await tx.unsafe(
    `INSERT INTO group_memberships (church_id, group_id, member_id, role, joined_on)
     SELECT m.church_id, g.id, m.id,
            CASE WHEN ${H('x.h', 1)} % 100 < 5 THEN 'leader' ELSE 'member' END::group_role,
            m.active_from + ${H('x.h', 2)} % (m.active_to - m.active_from + 1)
     FROM (
       SELECT m.*, c.groups AS gcount, ${H('mh.h', 0)} AS r0, ${H('mh.h', 1)} AS r1, ${H('mh.h', 2)} AS r2
       FROM _seed_m m
       JOIN _seed_c c ON c.church_id = m.church_id
       CROSS JOIN LATERAL (SELECT md5(${S} || ':gm:' || m.n || ':' || m.i) AS h) mh
       WHERE NOT m.archived
     ) m
     CROSS JOIN LATERAL (
       SELECT CASE WHEN m.gcount < 2 THEN 1
                   WHEN 2 * (1 + m.r2 % (m.gcount - 1)) = m.gcount THEN 1
                   ELSE 1 + m.r2 % (m.gcount - 1) END AS stride
     ) st
     CROSS JOIN LATERAL generate_series(
       0,
       least(CASE WHEN m.r0 % 100 < 30 THEN 0 WHEN m.r0 % 100 < 65 THEN 1 WHEN m.r0 % 100 < 88 THEN 2 ELSE 3 END,
             m.gcount) - 1
     ) AS k
     CROSS JOIN LATERAL (SELECT md5(${S} || ':gmk:' || m.n || ':' || m.i || ':' || k) AS h) x
     JOIN _seed_g g ON g.church_id = m.church_id AND g.j = 1 + (m.r1 + k * st.stride) % m.gcount
     ORDER BY m.id, k`,
  );

  return {
    households: households.count,
    members: members.count,
    groups: groups.count,
    memberships: memberships.count,
  };
}

/**
 * A year of attendance for the churches of _seed_c (after generateChurchContents): a Sunday
 * service, a Wednesday prayer meeting and the first group's weekly meeting, each weekly for the 52
 * weeks before asOf, with check-ins by status (members most, visitors after their first visit,
 * inactive people only before they stopped), a headcount of the unnamed on Sundays, one cancelled
 * Wednesday, and about one regular or member in ten who stopped coming six weeks ago (the lapsed
 * list has people in it). All set-based: three INSERT ... SELECT statements.
 */
async function generateAttendance(tx: Tx, seed: number, asOf: string | null): Promise<{ events: number; checkIns: number }> {
  const S = `${seed}::text`;
  // the last Sunday before asOf; every series starts 51 weeks before its last seeded occurrence
  const lastSun = `(SELECT d - extract(dow FROM d)::int FROM (SELECT coalesce($1::date, CURRENT_DATE) - 1 AS d) x)`;
  const events = await tx.unsafe(
    `INSERT INTO events (church_id, group_id, name, description, location, time_zone, starts_local, duration_minutes, rrule)
     SELECT c.church_id, s.group_id, s.name, s.description, s.location, ch.time_zone,
            to_char(${lastSun} + s.day_offset - 357, 'YYYY-MM-DD') || 'T' || s.at, s.minutes, s.rrule
     FROM _seed_c c
     JOIN churches ch ON ch.id = c.church_id
     CROSS JOIN LATERAL (
       VALUES (NULL::int, 'Sunday Worship', 'The main service; children''s church during the sermon.', 'Sanctuary', 0, '10:00', 75, 'FREQ=WEEKLY;BYDAY=SU'),
              (NULL::int, 'Wednesday Prayer', 'Midweek prayer and a short devotion.', 'Chapel', -4, '19:00', 60, 'FREQ=WEEKLY;BYDAY=WE')
       UNION ALL
       -- on the day its name says (small groups are named "Tuesday Men's Bible Study" …), else Thursday
       SELECT g.id, g.name, 'Weekly meeting of the group.', NULL, coalesce(d.off, -3), '19:00', 90, 'FREQ=WEEKLY;BYDAY=' || coalesce(d.code, 'TH')
       FROM _seed_g g
       LEFT JOIN (VALUES ('Monday', -6, 'MO'), ('Tuesday', -5, 'TU'), ('Wednesday', -4, 'WE'), ('Thursday', -3, 'TH'),
                         ('Friday', -2, 'FR'), ('Saturday', -1, 'SA'), ('Sunday', 0, 'SU')) AS d(day, off, code)
         ON d.day = split_part(g.name, ' ', 1)
       WHERE g.church_id = c.church_id AND g.j = 1
     ) AS s(group_id, name, description, location, day_offset, at, minutes, rrule)
     ORDER BY c.n, s.day_offset DESC`,
    [asOf],
  );
  await tx.unsafe(
    `CREATE TEMP TABLE _seed_o ON COMMIT DROP AS
     SELECT e.id AS event_id, e.church_id, e.group_id, e.name, k,
            ((left(e.starts_local, 10)::date + 7 * (51 - k)) + right(e.starts_local, 5)::time) AT TIME ZONE e.time_zone AS start
     FROM events e
     JOIN _seed_c c ON c.church_id = e.church_id
     CROSS JOIN generate_series(0, 51) AS k`,
  );
  // the Wednesday eight weeks back was cancelled; every Sunday has a door count of the unnamed
  await tx.unsafe(
    `INSERT INTO event_occurrences (church_id, event_id, original_start, cancelled_at, headcount)
     SELECT o.church_id, o.event_id, o.start,
            CASE WHEN o.name = 'Wednesday Prayer' AND o.k = 8 THEN o.start - interval '2 days' END,
            CASE WHEN o.name = 'Sunday Worship' THEN 4 + ${H(`md5(${S} || ':hc:' || o.event_id || ':' || o.k)`, 0)} % 18 ELSE 0 END
     FROM _seed_o o
     WHERE o.name = 'Sunday Worship' OR (o.name = 'Wednesday Prayer' AND o.k = 8)`,
  );
  const checkIns = await tx.unsafe(
    `INSERT INTO check_ins (church_id, event_id, occurrence_start, member_id, checked_in_at, via)
     SELECT o.church_id, o.event_id, o.start, m.id, o.start - interval '10 minutes', 'bulk'
     FROM _seed_o o
     JOIN _seed_m m ON m.church_id = o.church_id AND NOT m.archived
     CROSS JOIN LATERAL (SELECT ${H(`md5(${S} || ':ci:' || m.n || ':' || m.i || ':' || o.event_id || ':' || o.k)`, 0)} % 100 AS r,
                                ${H(`md5(${S} || ':lapse:' || m.n || ':' || m.i)`, 0)} % 100 AS lapse) x
     WHERE (o.start AT TIME ZONE 'UTC')::date BETWEEN coalesce(m.first_visit_on, m.active_from) AND m.active_to
       AND NOT (o.name = 'Wednesday Prayer' AND o.k = 8)
       AND NOT (x.lapse < 10 AND m.status IN ('member', 'regular') AND o.k < 6)
       AND (o.group_id IS NULL OR EXISTS (SELECT 1 FROM group_memberships gm WHERE gm.group_id = o.group_id AND gm.member_id = m.id))
       AND x.r < CASE
             WHEN o.group_id IS NOT NULL THEN 65
             WHEN o.name = 'Sunday Worship' THEN CASE m.status WHEN 'member' THEN 75 WHEN 'regular' THEN 60 WHEN 'visitor' THEN 20 ELSE 45 END
             ELSE CASE m.status WHEN 'member' THEN 20 WHEN 'regular' THEN 10 ELSE 3 END
           END
     ORDER BY o.event_id, o.start, m.id`,
  );
  return { events: events.count, checkIns: checkIns.count };
}

/**
 * Custom fields, tags and smart lists for the churches of _seed_c (after their people exist): five
 * fields (one of each kind but text, plus allergies as text) with answers for about half the
 * people, four tags on about one person in six each, and five saved lists that use them, so the
 * sandbox shows the directory's depth on first start. Set-based, like the rest.
 */
async function generateDirectoryExtras(tx: Tx, seed: number): Promise<{ fields: number; tags: number; lists: number }> {
  const S = `${seed}::text`;
  const fields = await tx.unsafe(
    `INSERT INTO custom_fields (church_id, name, description, type, required, position, choices)
     SELECT c.church_id, f.name, f.description, f.type::custom_field_type, false, f.pos, f.choices
     FROM _seed_c c CROSS JOIN (VALUES
       ('Baptism date', 'The day of their baptism.', 'date', 10, '{}'::text[]),
       ('T-shirt size', 'For team and camp shirts.', 'single_choice', 20, ARRAY['S', 'M', 'L', 'XL']),
       ('Background check', 'Cleared to serve with children.', 'yes_no', 30, '{}'::text[]),
       ('Spiritual gifts', NULL, 'multiple_choice', 40, ARRAY['Hospitality', 'Music', 'Teaching', 'Prayer', 'Helps']),
       ('Allergies', 'For meals and children''s church.', 'text', 50, '{}'::text[]),
       ('Years serving', NULL, 'number', 60, '{}'::text[])
     ) AS f(name, description, type, pos, choices)
     ORDER BY c.n, f.pos`,
  );
  // one answer per person and field for about half of them (a slice of md5 per field decides)
  await tx.unsafe(
    `INSERT INTO member_field_values (church_id, member_id, field_id, value_text, value_number, value_date, value_bool, value_choices)
     SELECT m.church_id, m.id, f.id,
            CASE f.name WHEN 'T-shirt size' THEN f.choices[1 + x.r % 4]
                        WHEN 'Allergies' THEN (ARRAY['Peanuts', 'Gluten', 'Dairy', 'Shellfish'])[1 + x.r % 4] END,
            CASE WHEN f.name = 'Years serving' THEN (x.r % 25)::numeric END,
            CASE WHEN f.name = 'Baptism date' THEN DATE '1990-01-01' + x.r % 12000 END,
            CASE WHEN f.name = 'Background check' THEN x.r % 5 <> 0 END,
            CASE WHEN f.name = 'Spiritual gifts' THEN ARRAY(SELECT ch FROM unnest(f.choices) WITH ORDINALITY AS u(ch, o) WHERE (x.r >> o::int) % 2 = 1 OR o = 1 + x.r % 5) END
     FROM _seed_c c
     JOIN members m ON m.church_id = c.church_id AND m.archived_at IS NULL
     JOIN custom_fields f ON f.church_id = c.church_id
     CROSS JOIN LATERAL (SELECT ${H(`md5(${S} || ':cf:' || m.id || ':' || f.name)`, 0)} AS r) x
     WHERE x.r % 100 < CASE f.name WHEN 'Allergies' THEN 8 WHEN 'Background check' THEN 30 WHEN 'Years serving' THEN 35 ELSE 55 END
     ORDER BY m.id, f.id`,
  );
  const tags = await tx.unsafe(
    `INSERT INTO tags (church_id, name)
     SELECT c.church_id, t.name FROM _seed_c c CROSS JOIN (VALUES ('Worship team'), ('Greeter'), ('Needs a ride'), ('Prayer team')) AS t(name)
     ORDER BY c.n, t.name`,
  );
  await tx.unsafe(
    `INSERT INTO member_tags (church_id, tag_id, member_id)
     SELECT m.church_id, t.id, m.id
     FROM _seed_c c
     JOIN members m ON m.church_id = c.church_id AND m.archived_at IS NULL
     JOIN tags t ON t.church_id = c.church_id
     WHERE ${H(`md5(${S} || ':tag:' || m.id || ':' || t.name)`, 0)} % 6 = 0
     ORDER BY t.id, m.id`,
  );
  const id = (table: string, name: string) => `(SELECT id FROM ${table} WHERE church_id = c.church_id AND name = ${lit(name)})::text`;
  const cond = (field: string, op: string, value: string | null) =>
    `jsonb_build_object('field', ${lit(field)}, 'op', ${lit(op)}${value === null ? '' : `, 'value', ${value}`})`;
  const lists = await tx.unsafe(
    `INSERT INTO smart_lists (church_id, name, description, rules)
     SELECT c.church_id, l.name, l.description, l.rules FROM _seed_c c CROSS JOIN LATERAL (VALUES
       ('Visitors this month', 'First visit in the last 30 days.',
        jsonb_build_object('match', 'ALL', 'conditions', jsonb_build_array(${cond('status', 'IN', `jsonb_build_array('VISITOR')`)}, ${cond('firstVisitOn', 'WITHIN_LAST_DAYS', '30')}))),
       ('Regulars not in a group', 'Come on Sundays, but in no group yet.',
        jsonb_build_object('match', 'ALL', 'conditions', jsonb_build_array(${cond('status', 'IN', `jsonb_build_array('REGULAR')`)}, ${cond('groups', 'IS_NOT_SET', null)}))),
       ('Lapsed regulars', 'Came 3+ times in the 8 weeks before the last 4, and not since.',
        jsonb_build_object('match', 'ALL', 'conditions', jsonb_build_array(${cond('lapsed', 'MATCHES', `jsonb_build_object('minAttendances', 3, 'previousWeeks', 8, 'absentWeeks', 4)`)}))),
       ('Cleared for children''s ministry', 'Adults with a background check who can be texted.',
        jsonb_build_object('match', 'ALL', 'conditions', jsonb_build_array(${cond('age', 'GTE', '18')}, ${cond('smsConsent', 'EQ', 'true')},
          ${cond('customField', 'MATCHES', `jsonb_build_object('fieldId', ${id('custom_fields', 'Background check')}, 'yesNo', true)`)}))),
       ('Worship team or musicians', NULL,
        jsonb_build_object('match', 'ANY', 'conditions', jsonb_build_array(${cond('tags', 'HAS_ANY', `jsonb_build_array(${id('tags', 'Worship team')})`)},
          ${cond('customField', 'MATCHES', `jsonb_build_object('fieldId', ${id('custom_fields', 'Spiritual gifts')}, 'anyOf', jsonb_build_array('Music'))`)})))
     ) AS l(name, description, rules)
     ORDER BY c.n, l.name`,
  );
  return { fields: fields.count, tags: tags.count, lists: lists.count };
}

/** Custom fields, tags and smart lists (as the demo has) for existing churches: the bench and tests use it. */
export async function seedDirectoryExtras(sql: postgres.Sql, churchIds: readonly number[], seed = 1): Promise<{ fields: number; tags: number; lists: number }> {
  return sql.begin(async (tx) => {
    await prepare(tx);
    await tx.unsafe(
      `CREATE TEMP TABLE _seed_c ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY id)::int AS n, id AS church_id FROM churches WHERE id = ANY(string_to_array($1, ',')::int[])`,
      [churchIds.join(',')],
    );
    return generateDirectoryExtras(tx, seed);
  });
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
  }
}

/** Synthetic churches `synthetic-<seed>-1..N`, each with `membersPerChurch` members and their data. */
export async function seedSynthetic(sql: postgres.Sql, opts: SeedSyntheticOptions): Promise<SeedResult> {
  const seed = opts.seed ?? 1;
  checkInt('churches', opts.churches, 1, 100_000);
  checkInt('membersPerChurch', opts.membersPerChurch, 1, 100_000);
  checkInt('seed', seed, 0, 2_147_483_647);
  if (opts.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.asOf)) {
    throw new RangeError(`asOf must be a date YYYY-MM-DD, got ${opts.asOf}`);
  }
  const groupsPerChurch = Math.max(2, Math.round(opts.membersPerChurch / 25));
  const S = `${seed}::text`;
  const started = performance.now();

  const counts = await sql.begin(async (tx) => {
    await prepare(tx);
    const [clash] = await tx`SELECT slug FROM churches WHERE slug = ANY(${[1, opts.churches].map((n) => `synthetic-${seed}-${n}`)}) LIMIT 1`;
    if (clash) {
      throw new Error(`the database already holds synthetic churches for seed ${seed} (${clash.slug}); use another seed`);
    }
    const churches = await tx.unsafe(
      `INSERT INTO churches (name, slug, time_zone, sms_from_number)
       SELECT s.name, s.slug, s.time_zone,
              CASE WHEN s.sms IS NOT NULL AND NOT EXISTS (SELECT 1 FROM churches c WHERE c.sms_from_number = s.sms)
                   THEN s.sms END
       FROM (
         SELECT n,
                ${pick(CHURCH_PREFIXES, H('h', 0))} || ' ' || ${pick(CHURCH_SUFFIXES, H('h', 1))}
                  || ' of ' || ${pick(TOWNS, H('h', 2))} AS name,
                'synthetic-' || ${S} || '-' || n AS slug,
                ${pick(TIME_ZONES, `${H('h', 3)} / 100`)} AS time_zone,
                CASE WHEN ${H('h', 3)} % 100 < 70 AND n <= ${CHURCH_AREAS.length * 10000} THEN
                  '+1' || ${pick(CHURCH_AREAS, 'x / 10000')} || '555' || lpad((x % 10000)::text, 4, '0')
                END AS sms
         FROM generate_series(1, $1::int) AS n
         CROSS JOIN LATERAL (SELECT md5(${S} || ':c:' || n) AS h,
                                    (n::bigint * 7919 + ${S}::bigint * 104729) % ${CHURCH_AREAS.length * 10000} AS x) hx
       ) s
       ORDER BY s.n`,
      [opts.churches],
    );
    await tx.unsafe(
      `CREATE TEMP TABLE _seed_c ON COMMIT DROP AS
       SELECT n, c.id AS church_id, $1::int AS members, $2::int AS groups
       FROM generate_series(1, $3::int) AS n
       JOIN churches c ON c.slug = 'synthetic-' || ${S} || '-' || n`,
      [opts.membersPerChurch, groupsPerChurch, opts.churches],
    );
    const rest = await generateChurchContents(tx, seed, opts.asOf ?? null);
    return { churches: churches.count, ...rest };
  });
  return { ...counts, ms: Math.round(performance.now() - started) };
}

const DEMO_SEED = 2024;
const DEMO_CHURCHES = [
  { name: 'Grace Community Church', slug: 'grace', timeZone: 'America/Chicago', smsFromNumber: '+15005550006', members: 120, groups: 8 },
  { name: "St. Mark's Parish", slug: 'st-marks', timeZone: 'Europe/London', smsFromNumber: null, members: 60, groups: 4 },
] as const;
const DEMO_LOCK = 0x5_7ee_5eed;

/**
 * A small friendly dataset for first start: two churches with members, households, groups, a
 * year of attendance, custom fields, tags and smart lists.
 * Returns false, changing nothing, when the database already has any church.
 */
export async function seedDemo(sql: postgres.Sql): Promise<boolean> {
  return sql.begin(async (tx) => {
    // Several API processes starting at once: one seeds, the others then see its churches.
    await tx`SELECT pg_advisory_xact_lock(${DEMO_LOCK})`;
    const [any] = await tx`SELECT 1 FROM churches LIMIT 1`;
    if (any) return false;
    await prepare(tx);
    await tx.unsafe(`CREATE TEMP TABLE _seed_c (n int, church_id int, members int, groups int) ON COMMIT DROP`);
    for (const [idx, c] of DEMO_CHURCHES.entries()) {
      const [row] = await tx`
        INSERT INTO churches (name, slug, time_zone, sms_from_number)
        VALUES (${c.name}, ${c.slug}, ${c.timeZone}, ${c.smsFromNumber})
        RETURNING id`;
      await tx`INSERT INTO _seed_c VALUES (${idx + 1}, ${row!.id as number}, ${c.members}, ${c.groups})`;
    }
    await generateChurchContents(tx, DEMO_SEED, null);
    await generateAttendance(tx, DEMO_SEED, null);
    await generateDirectoryExtras(tx, DEMO_SEED);
    return true;
  });
}
