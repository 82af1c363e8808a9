import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

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

/** Applies pending drizzle-kit migrations, serialised across processes by an advisory lock. */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(drizzle({ client: sql }), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    await sql.end();
  }
}
