import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Config } from '../config/env.js';
import { sessionLimits } from './client.js';
import { ensurePartitions } from './partitions.js';

/** drizzle/ beside package.json: found by walking up, so src/db and the built dist/src/db agree. */
function packageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}: cannot find drizzle/`);
    dir = up;
  }
  return dir;
}

export const MIGRATIONS_DIR = path.join(packageDir(), 'drizzle');
// Any constant shared by every process: several API processes starting at once migrate one at a time.
const MIGRATION_LOCK = 0x5_7ee_91e;

/**
 * Applies pending drizzle-kit migrations, serialised across processes by an advisory lock (a
 * session lock: give the server's own URL, not a transaction pooler's — DATABASE_DIRECT_URL).
 * With roleSettings, also makes them the connecting role's defaults in this database: how the
 * statement timeouts reach connections PgBouncer opens (they take effect on new server
 * connections; PgBouncer's server_lifetime recycles the old ones).
 */
export async function runMigrations(
  url: string,
  opts: { roleSettings?: Record<string, number>; partitionsAhead?: number; migrationsFolder?: string } = {},
): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(drizzle({ client: sql }), { migrationsFolder: opts.migrationsFolder ?? MIGRATIONS_DIR });
      // message_recipients' months from now on (src/db/partitions.ts); a folder of older
      // migrations (a test of 0009's move) may not have partitioned it yet
      if (!opts.migrationsFolder) await ensurePartitions(sql, opts.partitionsAhead ?? 3);
      if (opts.roleSettings) await applyRoleSettings(sql, opts.roleSettings);
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    await sql.end();
  }
}

/** ALTER ROLE CURRENT_USER IN DATABASE <this one> SET name = value, for each (integers: milliseconds). */
async function applyRoleSettings(sql: postgres.Sql, settings: Record<string, number>): Promise<void> {
  const [{ db }] = await sql<[{ db: string }]>`SELECT current_database() AS db`;
  for (const [name, value] of Object.entries(settings)) {
    if (!/^[a-z_]+$/.test(name) || !Number.isSafeInteger(value) || value < 0) throw new Error(`not a role setting: ${name}=${value}`);
    await sql.unsafe(`ALTER ROLE CURRENT_USER IN DATABASE "${db.replace(/"/g, '""')}" SET ${name} = ${value}`);
  }
}

/**
 * The URL migrations (and other work holding a session: the first start's seeding) use: the
 * server's own (DATABASE_DIRECT_URL) when the pool goes through a pooler, else the pool's.
 */
export const directUrl = (config: Config, url: string) => config.db.directUrl ?? url;

/** runMigrations as configured: on the direct URL, with the role's timeouts behind PgBouncer. */
export function migrateAsConfigured(config: Config, url: string): Promise<void> {
  return runMigrations(directUrl(config, url), {
    partitionsAhead: config.db.partitions.ahead,
    ...(config.db.pool.pooler === 'pgbouncer' ? { roleSettings: sessionLimits(config.db.pool) } : {}),
  });
}
