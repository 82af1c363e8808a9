import postgres from 'postgres';

/** Tests use their own databases on the local server, never the dev database. */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** One template per test run (global setup names it), so concurrent runs never share or drop each other's. */
export function templateDb(): string {
  const name = process.env.STEEPLE_TEST_TEMPLATE_DB;
  if (!name) throw new Error('STEEPLE_TEST_TEMPLATE_DB is not set: run tests through vitest (global setup)');
  return name;
}

export function dbUrl(name: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminSql<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** A fresh database for one test file, cloned from the migrated template (fast: a file copy). */
export async function createTestDatabase(tag: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `steeple_test_${tag}_${process.pid}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await adminSql(async (sql) => {
    await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await sql.unsafe(`CREATE DATABASE ${name} TEMPLATE ${templateDb()}`);
  });
  return {
    url: dbUrl(name),
    drop: () => adminSql((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
