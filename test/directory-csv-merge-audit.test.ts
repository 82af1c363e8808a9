import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { members, messages, checkIns, events, customFields, memberFieldValues } from '../src/db/schema/index.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { cell } from '../src/modules/csv/csv.js';
import { pruneAudit } from '../worker/partitions.js';
import { exportBench } from '../bench/export.js';

let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;
let staff: Record<string, string>;
let viewer: Record<string, string>;
let admin: Record<string, string>;

beforeAll(async () => {
  s = await startTestServer('issue15b_csv');
  a = await seedChurch(s, { members: 30 });
  b = await seedChurch(s, { members: 10 });
  await s.grantAll();
  staff = (await s.userWith('staff15b@steeple.test', [[a.churchId, 'staff']])).headers;
  viewer = (await s.userWith('viewer15b@steeple.test', [[a.churchId, 'viewer']])).headers;
  admin = (await s.userWith('admin15b@steeple.test', [[a.churchId, 'admin']])).headers;
}, 60_000);
afterAll(() => s?.close());

const exportUrl = (q: Record<string, string>) => `${s.url.replace(/\/graphql$/, '')}/export/members.csv?${new URLSearchParams(q)}`;

describe('CSV cells', () => {
  it('defuses formulas and quotes per RFC 4180', () => {
    expect(cell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(cell('+1')).toBe("'+1");
    expect(cell('-2')).toBe("'-2");
    expect(cell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(cell('\tx')).toBe("'\tx");
    expect(cell('\rx')).toBe(`"'\rx"`);
    expect(cell('a,b')).toBe('"a,b"');
    expect(cell('line\nbreak')).toBe('"line\nbreak"');
    expect(cell(null)).toBe('');
    expect(cell('plain')).toBe('plain');
  });
});

describe('CSV export', () => {
  it('streams the church’s people with a BOM, escaped formulas and custom fields; never another church’s', async () => {
    const id = a.memberIds[0]!;
    await s.database.db.update(members).set({ firstName: '=HYPERLINK("http://evil.example","click")' }).where(sql`id = ${id}`);
    const [f] = await s.database.db.insert(customFields).values({ churchId: a.churchId, name: 'Shirt size', type: 'text', position: 1 }).returning();
    await s.database.db.insert(memberFieldValues).values({ churchId: a.churchId, memberId: id, fieldId: f!.id, valueText: 'XL' });
    const res = await fetch(exportUrl({ churchId: String(a.churchId) }), { headers: staff });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const lines = text.slice(1).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('id,firstName,lastName,email,phone,status,householdName,householdRole,firstVisitOn,joinedOn,birthDate,smsOptedOut,Shirt size');
    expect(lines).toHaveLength(31);
    const row = lines.find((l) => l.startsWith(`${id},`))!;
    expect(row).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(row.endsWith(',XL')).toBe(true);
    const ids = lines.slice(1).map((l) => Number(l.split(',')[0]));
    for (const other of b.memberIds) expect(ids).not.toContain(other);
    expect(new Set(ids)).toEqual(new Set(a.memberIds));
  });

  it('takes the directory filter, and checks it', async () => {
    const ok = await fetch(exportUrl({ churchId: String(a.churchId), filter: JSON.stringify({ status: ['MEMBER'] }) }), { headers: staff });
    const body = await ok.text();
    const rows = body.split('\r\n').filter(Boolean).slice(1);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r).toContain(',MEMBER,');
    const bad = await fetch(exportUrl({ churchId: String(a.churchId), filter: '{nope' }), { headers: staff });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter' });
    const otherGroup = await fetch(exportUrl({ churchId: String(a.churchId), filter: JSON.stringify({ groupId: String(b.groupIds[0]) }) }), { headers: staff });
    expect(otherGroup.status).toBe(404);
  });

  it('enforces the role: anonymous 401, VIEWER 403, another church 404', async () => {
    expect((await fetch(exportUrl({ churchId: String(a.churchId) }))).status).toBe(401);
    const v = await fetch(exportUrl({ churchId: String(a.churchId) }), { headers: viewer });
    expect(v.status).toBe(403);
    expect(((await v.json()) as any).errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await fetch(exportUrl({ churchId: String(b.churchId) }), { headers: staff })).status).toBe(404);
  });

  it('streams 50,000 rows in many chunks within a fixed memory bound', async () => {
    const big = await seedChurch(s, { members: 0 });
    await s.database.sql.begin(async (tx) => {
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`
        INSERT INTO members (church_id, first_name, last_name, email, status)
        SELECT ${big.churchId}, 'P' || i, 'Bulk' || lpad(i::text, 6, '0'), 'p' || i || '@example.org', 'member'
        FROM generate_series(1, 50000) i`;
    });
    await s.grantAll();
    global.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    const res = await fetch(exportUrl({ churchId: String(big.churchId) }), { headers: s.adminHeaders });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let chunks = 0;
    let newlines = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      bytes += value.length;
      for (const c of value) if (c === 10) newlines++;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    expect(newlines).toBe(50_001);
    expect(chunks).toBeGreaterThan(20);
    // server and client share this process: the file is ~4 MB; growth stays well under holding it all many times over
    expect(bytes).toBeGreaterThan(2_500_000);
    expect(peakRss - before.rss).toBeLessThan(120 * 2 ** 20);
  }, 120_000);
});

const MERGE = `mutation($keep: ID!, $remove: ID!) { mergeMembers(keepId: $keep, removeId: $remove) {
  member { id email phone } merge { id keptMemberId removedMemberId moved removedSnapshot } } }`;

describe('duplicates and merge', () => {
  it('lists likely duplicates per church, paged', async () => {
    const [x, y] = a.memberIds.slice(10, 12) as [number, number];
    await s.database.sql`UPDATE members SET email = upper(m2.email) FROM members m2 WHERE m2.id = ${x} AND members.id = ${y}`;
    const q = `query($c: ID!, $after: String) { duplicateMembers(churchId: $c, first: 1, after: $after) { edges { cursor node { reasons a { id } b { id } } } pageInfo { hasNextPage endCursor } } }`;
    const seen: Array<[string, string, string[]]> = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const r: any = await s.gql(q, { c: String(a.churchId), after }, staff);
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      for (const e of r.data.duplicateMembers.edges) seen.push([e.node.a.id, e.node.b.id, e.node.reasons]);
      if (!r.data.duplicateMembers.pageInfo.hasNextPage) break;
      after = r.data.duplicateMembers.pageInfo.endCursor;
    }
    expect(seen).toContainEqual([String(x), String(y), ['EMAIL']]);
    const other = await s.gql(q, { c: String(b.churchId) }, staff);
    expect(other.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const v = await s.gql(q, { c: String(a.churchId) }, viewer);
    expect(v.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('moves every reference to the kept person, combines shared rows, and leaves no row pointing at the removed one', async () => {
    const keep: number = a.memberIds[20]!;
    const remove: number = a.memberIds[21]!;
    const db = s.database.db;
    await s.database.sql`UPDATE members SET email = NULL, birth_date = '1980-02-03' WHERE id = ${remove}`;
    await s.database.sql`UPDATE members SET email = NULL WHERE id = ${keep}`;
    await s.database.sql`UPDATE members SET email = 'removed@example.org' WHERE id = ${remove}`;
    // both in a group (earlier joinedOn on the removed one's), the removed one in another too
    const shared = a.groupIds[0]!;
    await s.database.sql`DELETE FROM group_memberships WHERE member_id IN (${keep}, ${remove})`;
    await s.database.sql`INSERT INTO group_memberships (church_id, group_id, member_id, joined_on) VALUES
      (${a.churchId}, ${shared}, ${keep}, '2020-01-01'), (${a.churchId}, ${shared}, ${remove}, '2015-06-01'), (${a.churchId}, ${a.groupIds[1]!}, ${remove}, '2019-01-01')`;
    // texts in two months: one both got, one only the removed one got
    const [m1] = await db.insert(messages).values({ churchId: a.churchId, body: 'hi', audience: {}, status: 'completed', sendAt: new Date(), encoding: 'gsm7', segments: 1, recipientCount: 2, skippedCount: 0, estimatedCost: '0', fromNumber: '+15550000000' } as never).returning();
    const nextMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 3));
    const [m2] = await db.insert(messages).values({ churchId: a.churchId, body: 'later', audience: {}, status: 'completed', sendAt: nextMonth, createdAt: nextMonth, encoding: 'gsm7', segments: 1, recipientCount: 1, skippedCount: 0, estimatedCost: '0', fromNumber: '+15550000000' } as never).returning();
    await s.database.sql`
      INSERT INTO message_recipients (church_id, message_id, member_id, phone, status, created_at)
      SELECT church_id, id, x.member_id, x.phone, 'delivered', created_at FROM messages
      JOIN (VALUES (${m1!.id}::int, ${keep}::int, '+15551230001'), (${m1!.id}::int, ${remove}::int, '+15551230002'), (${m2!.id}::int, ${remove}::int, '+15551230002')) x(message_id, member_id, phone)
        ON x.message_id = messages.id`;
    const [ev] = await db.insert(events).values({ churchId: a.churchId, name: 'Sunday', timeZone: 'America/Chicago', startsLocal: '2026-01-04T09:00', durationMinutes: 60, rrule: 'FREQ=WEEKLY' } as never).returning();
    await db.insert(checkIns).values([
      { churchId: a.churchId, eventId: ev!.id, occurrenceStart: new Date('2026-01-04T15:00:00Z'), memberId: remove, via: 'staff' },
      { churchId: a.churchId, eventId: ev!.id, occurrenceStart: new Date('2026-01-04T15:00:00Z'), memberId: keep, via: 'staff' },
      { churchId: a.churchId, eventId: ev!.id, occurrenceStart: new Date('2026-01-11T15:00:00Z'), memberId: remove, via: 'staff' },
    ] as never);

    // the removed record had unsubscribed from email: the kept person stays unsubscribed
    await s.database.sql`INSERT INTO email_consents (church_id, member_id, email, opted_out_at, via) VALUES (${a.churchId}, ${remove}, 'removed@example.org', now(), 'unsubscribe:page')`;

    const r: any = await s.gql(MERGE, { keep: String(keep), remove: String(remove) }, staff);
    expect(r.errors).toBeUndefined();
    expect(r.data.mergeMembers.member.email).toBe('removed@example.org');
    const consent = await s.database.sql`SELECT email, opted_out_at IS NOT NULL AS out FROM email_consents WHERE member_id = ${keep}`;
    expect(consent).toEqual([{ email: 'removed@example.org', out: true }]);
    expect(r.data.mergeMembers.merge.moved.emailConsents).toBe(1);
    expect(r.data.mergeMembers.merge.removedSnapshot.id).toBe(remove);
    expect(r.data.mergeMembers.merge.moved).toMatchObject({ groupMembershipsCombined: 1, groupMemberships: 1, messageRecipients: 1, messageRecipientsDuplicate: 1, checkIns: 1, checkInsDuplicate: 1 });

    // every foreign key to members, read from the catalog: none points at the removed person
    const fks = await s.database.sql<{ table: string; column: string }[]>`
      SELECT c.conrelid::regclass::text AS table, a.attname AS column
      FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[array_length(c.conkey, 1)]
      WHERE c.contype = 'f' AND c.confrelid = 'members'::regclass AND c.conrelid::regclass::text NOT LIKE 'message_recipients_y%'`;
    expect(fks.length).toBeGreaterThanOrEqual(5);
    for (const fk of fks) {
      const [row] = await s.database.sql.unsafe(`SELECT count(*)::int AS n FROM ${fk.table} WHERE ${fk.column} = ${Number(remove)}`);
      expect(row!.n, `${fk.table}.${fk.column}`).toBe(0);
    }
    expect((await s.database.sql`SELECT 1 FROM members WHERE id = ${remove}`).length).toBe(0);
    // history kept: both months' texts, both check-ins, the earlier joinedOn
    const texts = await s.database.sql`SELECT message_id FROM message_recipients WHERE member_id = ${keep} ORDER BY message_id`;
    expect(texts.map((t) => t.message_id)).toEqual([m1!.id, m2!.id]);
    expect((await s.database.sql`SELECT 1 FROM check_ins WHERE member_id = ${keep}`).length).toBe(2);
    const [gm] = await s.database.sql`SELECT joined_on::text FROM group_memberships WHERE member_id = ${keep} AND group_id = ${shared}`;
    expect(gm!.joined_on).toBe('2015-06-01');
    expect((await s.database.sql`SELECT 1 FROM group_memberships WHERE member_id = ${keep}`).length).toBe(2);

    // the audit log shows the merge
    const log: any = await s.gql(`query($c: ID!, $id: ID!) { auditLog(churchId: $c, filter: { entity: "Member", entityId: $id }) { nodes { action changes actorUserId } } }`, { c: String(a.churchId), id: String(keep) }, admin);
    expect(log.errors).toBeUndefined();
    const merge = log.data.auditLog.nodes.find((n: any) => n.action === 'merge');
    expect(merge.changes.mergedFrom).toEqual([null, remove]);
    expect(merge.changes.email).toEqual([null, 'removed@example.org']);
  });

  it('refuses people of two churches, the same person, and a VIEWER', async () => {
    const two: any = await s.gql(MERGE, { keep: String(a.memberIds[2]), remove: String(b.memberIds[2]) });
    expect(two.errors[0].extensions.code).toBe('NOT_FOUND');
    const same: any = await s.gql(MERGE, { keep: String(a.memberIds[2]), remove: String(a.memberIds[2]) });
    expect(same.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'removeId' });
    const v: any = await s.gql(MERGE, { keep: String(a.memberIds[2]), remove: String(a.memberIds[3]) }, viewer);
    expect(v.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await s.database.sql`SELECT 1 FROM members WHERE id = ${a.memberIds[2]!} OR id = ${a.memberIds[3]!}`).length).toBe(2);
  });
});

describe('audit log', () => {
  const LOG = `query($c: ID!, $f: AuditFilter, $after: String) { auditLog(churchId: $c, filter: $f, first: 2, after: $after) {
    nodes { id entity entityId action changes actorUserId at } pageInfo { hasNextPage endCursor } } }`;

  it('records an update with before → after and the actor, pages by key, and filters', async () => {
    const id = String(a.memberIds[5]);
    const before: any = await s.gql(`query($id: ID!) { member(id: $id) { lastName status } }`, { id });
    const u: any = await s.gql(`mutation($id: ID!) { updateMember(id: $id, input: { lastName: "Renamed", status: INACTIVE }) { id } }`, { id }, staff);
    expect(u.errors).toBeUndefined();
    await s.gql(`mutation($id: ID!) { archiveMember(id: $id) { id } }`, { id }, staff);
    await s.gql(`mutation($id: ID!) { restoreMember(id: $id) { id } }`, { id }, staff);
    const r: any = await s.gql(LOG, { c: String(a.churchId), f: { entity: 'Member', entityId: id } }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data.auditLog.pageInfo.hasNextPage).toBe(true);
    const [restore, archive] = r.data.auditLog.nodes;
    expect(restore.action).toBe('restore');
    expect(archive.action).toBe('archive');
    const next: any = await s.gql(LOG, { c: String(a.churchId), f: { entity: 'Member', entityId: id }, after: r.data.auditLog.pageInfo.endCursor }, admin);
    const [update] = next.data.auditLog.nodes;
    expect(update.action).toBe('update');
    expect(update.changes.lastName).toEqual([before.data.member.lastName, 'Renamed']);
    expect(update.changes.status).toEqual([before.data.member.status.toLowerCase(), 'inactive']);
    expect(update.changes.firstName).toBeUndefined();
    const staffUser = await s.database.sql`SELECT id FROM users WHERE email = 'staff15b@steeple.test'`;
    expect(update.actorUserId).toBe(String(staffUser[0]!.id));
    const byAction: any = await s.gql(LOG, { c: String(a.churchId), f: { action: 'archive', actorUserId: String(staffUser[0]!.id) } }, admin);
    expect(byAction.data.auditLog.nodes.every((n: any) => n.action === 'archive')).toBe(true);
    // keyset pages: no entry twice
    const ids = new Set<string>();
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const p: any = await s.gql(LOG, { c: String(a.churchId), after }, admin);
      for (const n of p.data.auditLog.nodes) {
        expect(ids.has(n.id)).toBe(false);
        ids.add(n.id);
      }
      if (!p.data.auditLog.pageInfo.hasNextPage) break;
      after = p.data.auditLog.pageInfo.endCursor;
    }
    expect(ids.size).toBeGreaterThan(2);
  });

  it('is for ADMIN and up of the church only, and cannot be changed', async () => {
    for (const h of [staff, viewer]) {
      const r: any = await s.gql(LOG, { c: String(a.churchId) }, h);
      expect(r.errors[0].extensions.code).toBe('FORBIDDEN');
    }
    const other: any = await s.gql(LOG, { c: String(b.churchId) }, admin);
    expect(other.errors[0].extensions.code).toBe('NOT_FOUND');
    const bad: any = await s.gql(LOG, { c: String(a.churchId), f: { entity: "Member'; --" } }, admin);
    expect(bad.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.entity' });
    await expect(s.database.sql`UPDATE audit_log SET action = 'x'`).rejects.toThrow(/append-only/);
  });

  it('records group memberships and households with the change', async () => {
    const add: any = await s.gql(`mutation($g: ID!, $m: ID!) { addGroupMember(input: { groupId: $g, memberId: $m }) { role } }`, { g: String(a.groupIds[2]), m: String(a.memberIds[7]) }, staff);
    expect(add.errors).toBeUndefined();
    const h: any = await s.gql(`mutation($id: ID!) { updateHousehold(id: $id, input: { name: "The Renamed" }) { id } }`, { id: String(a.householdIds[0]) }, staff);
    expect(h.errors).toBeUndefined();
    const r: any = await s.gql(LOG, { c: String(a.churchId), f: { entity: 'Household', entityId: String(a.householdIds[0]) } }, admin);
    expect(r.data.auditLog.nodes[0].changes.name[1]).toBe('The Renamed');
    const g: any = await s.gql(LOG, { c: String(a.churchId), f: { entity: 'GroupMembership', entityId: `${a.groupIds[2]}/${a.memberIds[7]}` } }, admin);
    expect(g.data.auditLog.nodes[0].action).toBe('join');
  });

  it('is pruned after AUDIT_RETENTION_DAYS, in batches, and only what is older', async () => {
    await s.database.sql`INSERT INTO audit_log (church_id, entity, entity_id, action, at)
      SELECT ${a.churchId}, 'Member', i::text, 'update', now() - interval '400 days' FROM generate_series(1, 7001) i`;
    const [{ n: recent }] = await s.database.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM audit_log WHERE at > now() - interval '1 day'`;
    expect(await pruneAudit(s.database.sql, 0, new Date())).toBe(0);
    expect(await pruneAudit(s.database.sql, 365, new Date())).toBe(7001);
    const [{ n: old }] = await s.database.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM audit_log WHERE at < now() - interval '365 days'`;
    expect(old).toBe(0);
    const [{ n: after }] = await s.database.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM audit_log WHERE at > now() - interval '1 day'`;
    expect(after).toBe(recent);
    expect(recent).toBeGreaterThan(0);
  });
});

describe('bench:export', () => {
  it('runs small', async () => {
    const r = await exportBench(500, 1);
    expect(r.runs).toHaveLength(1);
    expect(r.runs[0]!.rowsPerS).toBeGreaterThan(0);
    expect(r.runs[0]!.bytes).toBeGreaterThan(500 * 40);
  }, 60_000);
});
