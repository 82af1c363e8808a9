import 'reflect-metadata';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/client.js';
import { seedDemo } from '../src/db/seed.js';
import { createLogger } from '../src/lib/logger.js';
import { DEMO_USERS, seedDemoUsers } from '../src/modules/auth/bootstrap.js';
import { createPasswordHasher } from '../src/modules/auth/password.js';
import { loadConfig } from '../src/config/env.js';
import { createTestDatabase } from './helpers/db.js';

// The product's rule — a church always keeps an OWNER — holds for the demo data of the first start.
let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: postgres.Sql;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('demo_owners');
  sql = postgres(testDb.url, { max: 1, onnotice: () => {} });
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' });
  database = createDatabase(testDb.url, config.db.pool, createLogger('silent'));
  expect(await seedDemo(sql)).toBe(true);
  expect(await seedDemoUsers(database.db, createPasswordHasher(config.auth.argon2), 'steeple-demo-2026')).toBe(true);
});
afterAll(async () => {
  await database?.close();
  await sql?.end();
  await testDb?.drop();
});

describe('demo data', () => {
  it('gives every seeded church at least one OWNER', async () => {
    const rows = await sql<Array<{ slug: string; owners: number }>>`
      SELECT c.slug, count(r.user_id)::int AS owners
      FROM churches c LEFT JOIN church_roles r ON r.church_id = c.id AND r.role = 'owner'
      GROUP BY c.slug ORDER BY c.slug`;
    expect(rows.map((r) => r.slug)).toEqual(['grace', 'st-marks']);
    for (const r of rows) expect(r.owners, r.slug).toBeGreaterThanOrEqual(1);
  });

  it('creates every demo account the banner and README name', async () => {
    const emails = (await sql<Array<{ email: string }>>`SELECT email FROM users ORDER BY email`).map((r) => r.email);
    expect(emails).toEqual(DEMO_USERS('x').map((u) => u.email).sort());
    expect(emails).toContain('owner@stmarks.example');
  });
});
