import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSynthetic } from '../src/db/seed.js';
import { DirectoryNoCountDocument, DirectoryPageDocument } from './generated/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { seqScanOn } from './helpers/plans.js';

// Index use is checked on the statements the API really sends (captured with their parameters),
// on enough seeded rows that PostgreSQL would rather scan than use a useless index.
let s: TestServer;
let sql: postgres.Sql;
let churchId: string;
let bigChurchId: string;

beforeAll(async () => {
  s = await startTestServer('explain', { CACHE_ENABLED: 'false' }); // plans of the SQL itself, not cache hits
  sql = postgres(s.config.db.url!, { max: 1, onnotice: () => {} });
  await seedSynthetic(sql, { churches: 40, membersPerChurch: 500, seed: 7, asOf: '2026-01-01' });
  // one large church: there, a search must not read every member of the church
  await seedSynthetic(sql, { churches: 1, membersPerChurch: 20_000, seed: 8, asOf: '2026-01-01' });
  await s.grantAll();
  // sample every row (the default samples 30,000): statistics, and so plans, are the same every run
  await sql`SET default_statistics_target = 1000`;
  await sql`ANALYZE`;
  const [c] = await sql<[{ id: number }]>`SELECT id FROM churches ORDER BY id LIMIT 1 OFFSET 20`;
  churchId = String(c.id);
  const [b] = await sql<[{ id: number }]>`SELECT id FROM churches ORDER BY id DESC LIMIT 1`;
  bigChurchId = String(b.id);
}, 120_000);
afterAll(async () => {
  await sql.end();
  await s.close();
});

/** Runs an operation, then EXPLAINs the statement that read `members`; returns the plan as text. */
async function planOf(doc: Parameters<TestServer['gql']>[0], variables: Record<string, unknown>, marker: RegExp) {
  s.database.statements.reset();
  const r = await s.gql(doc, variables);
  expect(r.errors).toBeUndefined();
  const stmt = s.database.statements.recent.find((q) => marker.test(q.query));
  expect(stmt, 'statement not captured').toBeDefined();
  const rows = await sql.unsafe(`EXPLAIN (FORMAT JSON) ${stmt!.query}`, stmt!.params as never[]);
  return JSON.stringify(rows[0]!["QUERY PLAN"]);
}

const PAGE = /FROM members m[\s\S]*ORDER BY/;

/** Whether a plan (JSON text) reads a table with a sequential scan. */

describe('EXPLAIN on seeded data (40 churches x 500 members, one of 20,000)', () => {
  it('directory page (NAME) reads members_directory_idx, never a sequential scan', async () => {
    const plan = await planOf(DirectoryNoCountDocument, { churchId, first: 20 }, PAGE);
    expect(plan).toContain('members_directory_idx');
    expect(seqScanOn(plan, 'members')).toBe(false);
  });

  it('a later page seeks with the keyset cursor in the same index', async () => {
    const first = await s.gql(DirectoryNoCountDocument, { churchId, first: 20 });
    const plan = await planOf(DirectoryNoCountDocument, { churchId, first: 20, after: first.data!.members.pageInfo.endCursor }, PAGE);
    expect(plan).toContain('members_directory_idx');
    expect(plan).toMatch(/Index Cond[^"]*":\s*"[^"]*ROW\(lower/);
  });

  it('status filter reads members_status_directory_idx', async () => {
    const plan = await planOf(DirectoryPageDocument, { churchId, first: 20, filter: { status: ['VISITOR'] } }, PAGE);
    expect(plan).toContain('members_status_directory_idx');
  });

  it('JOINED order reads members_joined_idx', async () => {
    const plan = await planOf(DirectoryNoCountDocument, { churchId, first: 20 }, PAGE).then(() =>
      planOf(DirectoryPageDocument, { churchId, first: 20, orderBy: 'JOINED' }, PAGE),
    );
    expect(plan).toContain('members_joined_idx');
  });

  it('a selective search (one person’s email) uses the trigram index', async () => {
    const [m] = await sql<[{ email: string }]>`
      SELECT email FROM members WHERE church_id = ${Number(bigChurchId)} AND email IS NOT NULL ORDER BY id LIMIT 1 OFFSET 500`;
    const plan = await planOf(DirectoryPageDocument, { churchId: bigChurchId, first: 20, filter: { search: m.email.split('@')[0] } }, PAGE);
    expect(plan).toContain('members_search_trgm_idx');
  });

  it('a common name in a large church walks the directory index: the first 20 matches come early', async () => {
    const plan = await planOf(DirectoryPageDocument, { churchId: bigChurchId, first: 20, filter: { search: 'okafor' } }, PAGE);
    expect(plan).toMatch(/members_directory_idx|members_search_trgm_idx/);
    expect(seqScanOn(plan, 'members')).toBe(false);
  });

  it('search by phone digits uses the trigram index', async () => {
    const plan = await planOf(DirectoryPageDocument, { churchId: bigChurchId, first: 20, filter: { search: '555-012' } }, PAGE);
    expect(plan).toContain('members_search_trgm_idx');
  });

  it('the totalCount of the directory is an index-only scan', async () => {
    const plan = await planOf(DirectoryPageDocument, { churchId, first: 5 }, /count\(\*\)[\s\S]*FROM members m/);
    expect(plan).toMatch(/Index Only Scan|Index Scan|Bitmap Index Scan/);
    expect(seqScanOn(plan, 'members')).toBe(false);
  });
});
