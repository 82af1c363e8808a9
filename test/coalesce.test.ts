import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { coalesced, coalescerOf, IDS_PLACEHOLDER } from '../src/db/coalesce.js';
import { statusCounts } from '../src/modules/analytics/analytics.queries.js';
import { pageOneChurch, type MemberPageArgs, type PagedMember } from '../src/modules/member/member.queries.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Concurrent directory pages of different churches, coalesced into one statement
// (src/db/coalesce.ts): each caller gets exactly its own church's page, as if it had asked alone;
// an idle server sends each page at once; a busy one gathers the callers that arrive while the
// statement waits for a connection.
let s: TestServer;
const churches: SeededChurch[] = [];
const PAGE: MemberPageArgs = { filter: { archived: false }, orderBy: 'NAME', limit: 11 };
/** directory page statements, either form */
const pageStatements = () => s.database.statements.recent.filter((q) => /AS groups_json/.test(q.query));
/** of those, the list form (a batch of two or more churches) */
const listStatements = () => pageStatements().filter((q) => /WITH ORDINALITY AS c\(id, ord\)/.test(q.query));
const tick = () => new Promise((r) => setImmediate(r));

beforeAll(async () => {
  s = await startTestServer('coalesce');
  for (let i = 0; i < 4; i++) churches.push(await seedChurch(s, { members: 6 + i * 5 }));
  await s.grantAll();
});
afterAll(() => s.close());

/** A page as plain data (the Dates as numbers) to compare one answer with another. */
const plain = (rows: PagedMember[]) => JSON.parse(JSON.stringify(rows)) as unknown;

describe('coalesced directory pages', () => {
  it('pages asked at once are one statement, each caller getting its own church’s page exactly as alone', async () => {
    const db = s.database.db;
    const alone: PagedMember[][] = [];
    for (const c of churches) {
      s.database.statements.reset();
      alone.push(await pageOneChurch(db, c.churchId, PAGE));
      // alone (a batch of one): the plain one-church statement, not a list of one
      expect(pageStatements()).toHaveLength(1);
      expect(listStatements()).toHaveLength(0);
      expect(pageStatements()[0]!.query).toMatch(/WHERE m\.church_id = \$\d+::int/);
      expect(pageStatements()[0]!.params).toContain(String(c.churchId));
    }
    s.database.statements.reset();
    // the same church twice as well: two callers, two answers
    const asked = [...churches, churches[1]!];
    const together = await Promise.all(asked.map((c) => pageOneChurch(db, c.churchId, PAGE)));
    expect(s.database.statements.count).toBe(1);
    const [stmt] = listStatements();
    expect(stmt!.params).toContain(asked.map((c) => c.churchId).join(','));
    asked.forEach((c, i) => {
      const rows = together[i]!;
      expect(rows.length).toBe(Math.min(11, 6 + churches.indexOf(c) * 5));
      for (const r of rows) expect(r.churchId).toBe(c.churchId);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      expect(rows.every((r) => c.memberIds.includes(r.id))).toBe(true);
      expect(plain(rows)).toEqual(plain(alone[churches.indexOf(c)]!));
      expect(rows[0]!.page!.total).toBe(6 + churches.indexOf(c) * 5);
    });
    // timestamps are read when asked, and are the database's
    const first = together[0]![0]!;
    const [row] = await s.database.sql<[{ c: number; h: number }]>`SELECT floor(extract(epoch from m.created_at) * 1000)::float8 AS c, floor(extract(epoch from h.created_at) * 1000)::float8 AS h FROM members m JOIN households h ON h.id = m.household_id WHERE m.id = ${first.id}`;
    expect(first.createdAt).toBeInstanceOf(Date);
    expect(first.createdAt.getTime()).toBe(row.c);
    expect(first.page!.household!.createdAt.getTime()).toBe(row.h);
    expect(first.page!.groups[0]!.updatedAt).toBeInstanceOf(Date);
    // not shared: a caller may change what it got without touching another's
    expect(together[4]![0]).not.toBe(together[1]![0]);
    expect(together[4]).toEqual(together[1]);
  });

  it('an idle server sends each page at once; a statement waiting for a connection takes those who came meanwhile', async () => {
    const db = s.database.db;
    const c = coalescerOf(db)!;
    s.database.statements.reset();
    // one after another, each awaited: a statement each, none waiting for another caller, each
    // the one-church form
    const singles = c.singles;
    for (const ch of churches) await pageOneChurch(db, ch.churchId, PAGE);
    expect(pageStatements()).toHaveLength(churches.length);
    expect(listStatements()).toHaveLength(0);
    expect(c.singles - singles).toBe(churches.length);

    // every connection busy: the first caller's statement waits at the gate, later callers (in
    // later turns of the event loop) join it, and it goes once a connection is free
    let release!: () => void;
    const held = s.database.gate.run(() => new Promise<void>((r) => (release = r)), s.database.gate.size);
    await tick();
    s.database.statements.reset();
    const before = c.statements;
    const pending: Array<Promise<PagedMember[]>> = [];
    for (const ch of churches) {
      pending.push(pageOneChurch(db, ch.churchId, PAGE));
      await tick();
    }
    expect(s.database.statements.count).toBe(0);
    release();
    await held;
    const pages = await Promise.all(pending);
    expect(c.statements - before).toBe(1);
    expect(listStatements()).toHaveLength(1);
    pages.forEach((rows, i) => expect(rows.every((r) => r.churchId === churches[i]!.churchId) && rows.length > 0).toBe(true));
  });

  it('at most maxIds churches per statement', async () => {
    const db = s.database.db;
    const c = coalescerOf(db)!;
    const n = c.maxIds + 7;
    s.database.statements.reset();
    const ids = Array.from({ length: n }, (_, i) => churches[i % churches.length]!.churchId);
    const pages = await Promise.all(ids.map((id) => pageOneChurch(db, id, PAGE)));
    expect(listStatements()).toHaveLength(2);
    pages.forEach((rows, i) => expect(rows.length > 0 && rows.every((r) => r.churchId === ids[i])).toBe(true));
  });

  it('different questions (filter, order, size, cursor) are never coalesced together', async () => {
    const db = s.database.db;
    s.database.statements.reset();
    const [a, b, d] = await Promise.all([
      pageOneChurch(db, churches[0]!.churchId, PAGE),
      pageOneChurch(db, churches[1]!.churchId, { ...PAGE, limit: 3 }),
      pageOneChurch(db, churches[2]!.churchId, { ...PAGE, orderBy: 'JOINED' }),
    ]);
    expect(pageStatements()).toHaveLength(3);
    expect(a!.length).toBe(6);
    expect(b!.length).toBe(3);
    expect(d!.every((r) => r.churchId === churches[2]!.churchId)).toBe(true);
  });

  it('inside a transaction each page is its own statement on the transaction', async () => {
    s.database.statements.reset();
    await s.database.db.transaction(async (tx) => {
      const [x, y] = await Promise.all([pageOneChurch(tx, churches[0]!.churchId, PAGE), pageOneChurch(tx, churches[1]!.churchId, PAGE)]);
      expect(x!.every((r) => r.churchId === churches[0]!.churchId)).toBe(true);
      expect(y!.every((r) => r.churchId === churches[1]!.churchId)).toBe(true);
    });
    expect(listStatements()).toHaveLength(0);
    expect(pageStatements()).toHaveLength(2);
  });

  it('a statement that fails fails each of its callers, and the next one for the question goes out afresh', async () => {
    const db = s.database.db;
    // PostgreSQL refuses it: every caller joined to it gets the error
    const failing = () => sql`SELECT c.ord, 1 / (c.id - c.id) AS x FROM unnest(string_to_array(${IDS_PLACEHOLDER}, ',')::int[]) WITH ORDINALITY AS c(id, ord)`;
    const both = await Promise.allSettled([coalesced(db, 'test.failing', 1, failing)!, coalesced(db, 'test.failing', 2, failing)!]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((both[0] as PromiseRejectedResult).reason)).toMatch(/division by zero/);
    // a statement that cannot even be built (no placeholder): refused, and nothing is left waiting
    const unbuildable = () => sql`SELECT 1 AS ord`;
    await expect(coalesced(db, 'test.unbuildable', 1, unbuildable)!).rejects.toThrow(/IDS_PLACEHOLDER/);
    await expect(coalesced(db, 'test.unbuildable', 2, unbuildable)!).rejects.toThrow(/IDS_PLACEHOLDER/);
    // nothing is left open: the next caller of the failed question sends a statement of its own
    const c = coalescerOf(db)!;
    const before = c.statements;
    await expect(coalesced(db, 'test.failing', 3, failing)!).rejects.toThrow(/division by zero/);
    expect(c.statements).toBe(before + 1);
    const good = () => sql`SELECT c.ord, c.id FROM unnest(string_to_array(${IDS_PLACEHOLDER}, ',')::int[]) WITH ORDINALITY AS c(id, ord)`;
    expect(await coalesced<{ ord: string; id: number }>(db, 'test.good', 7, good)!).toEqual([{ ord: '1', id: 7 }]);
  });

  it('people by status of several churches asked at once: one statement, each count its own church’s', async () => {
    const db = s.database.db;
    const alone: Array<Awaited<ReturnType<typeof statusCounts>>> = [];
    s.database.statements.reset();
    for (const c of churches) alone.push(await statusCounts(db, c.churchId));
    // each alone: the plain one-church count
    expect(s.database.statements.recent.map((q) => /ORDINALITY/.test(q.query))).toEqual(churches.map(() => false));
    s.database.statements.reset();
    const together = await Promise.all(churches.map((c) => statusCounts(db, c.churchId)));
    expect(s.database.statements.count).toBe(1);
    expect(s.database.statements.recent[0]!.query).toMatch(/WITH ORDINALITY/);
    expect(together).toEqual(alone);
    churches.forEach((c, i) => expect(together[i]!.total).toBe(c.memberIds.length));
  });

  it('over HTTP, concurrent directory pages of four churches each answer with their own people only', async () => {
    const Q = `query($c: ID!) { members(churchId: $c, first: 20) { totalCount nodes { id household { id } groups { id } } } }`;
    const staff = await Promise.all(churches.map((c, i) => s.userWith(`coalesce-staff-${i}@steeple.test`, [[c.churchId, 'staff']])));
    const asks = Array.from({ length: 40 }, (_, i) => i % churches.length);
    const answers = await Promise.all(asks.map((i) => s.gql(Q, { c: String(churches[i]!.churchId) }, staff[i]!.headers)));
    answers.forEach((r, k) => {
      const c = churches[asks[k]!]!;
      expect(r.errors).toBeUndefined();
      expect(r.data.members.totalCount).toBe(c.memberIds.length);
      const ids = r.data.members.nodes.map((n: { id: string }) => Number(n.id));
      expect(ids.length).toBe(Math.min(20, c.memberIds.length));
      expect(ids.every((id: number) => c.memberIds.includes(id))).toBe(true);
      for (const n of r.data.members.nodes) {
        expect(c.householdIds).toContain(Number(n.household.id));
        for (const g of n.groups) expect(c.groupIds).toContain(Number(g.id));
      }
    });
  });
});

describe('the slow-statement log of a coalesced question', () => {
  it('names the text that was sent: the one-church statement for a batch of one, the list form for more', async () => {
    const lines: Array<{ msg?: string; query?: string; ms?: number }> = [];
    const t = await startTestServer('coalesce-slow', { DB_SLOW_QUERY_MS: '15', LOG_LEVEL: 'warn' }, { logDestination: { write: (l) => void lines.push(JSON.parse(l)) } });
    try {
      const c = await seedChurch(t, { members: 4 });
      const d = await seedChurch(t, { members: 3 });
      // every connection held for 30 ms: the statement's time (its wait at the gate included) passes 15
      const hold = async (ask: () => Promise<unknown>) => {
        let release!: () => void;
        const held = t.database.gate.run(() => new Promise<void>((r) => (release = r)), t.database.gate.size);
        await tick();
        const asked = ask();
        await new Promise((r) => setTimeout(r, 30));
        release();
        await held;
        await asked;
      };
      await hold(() => pageOneChurch(t.database.db, c.churchId, PAGE));
      // (the log keeps a statement's first 500 characters: the select list tells the two forms apart)
      const slow = () => lines.filter((l) => l.msg === 'slow sql' && /h\.name AS h_name/.test(l.query ?? ''));
      expect(slow()).toHaveLength(1);
      expect(slow()[0]!.query).toMatch(/^\s*SELECT m\.id,/);
      await hold(() => Promise.all([pageOneChurch(t.database.db, c.churchId, PAGE), pageOneChurch(t.database.db, d.churchId, PAGE)]));
      expect(slow()).toHaveLength(2);
      expect(slow()[1]!.query).toMatch(/^\s*SELECT c\.ord,/);
    } finally {
      await t.close();
    }
  });
});
