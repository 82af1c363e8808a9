import { runMigrations } from '../../src/db/migrate.js';
import { adminSql, dbUrl, TEMPLATE_DB } from './db.js';

/** Once per run: a freshly migrated template database that each test file clones. */
export default async function setup() {
  await adminSql(async (sql) => {
    // databases left by an interrupted earlier run
    const stale = await sql<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname LIKE 'steeple_test_%'`;
    for (const { datname } of stale) await sql.unsafe(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await sql.unsafe(`CREATE DATABASE ${TEMPLATE_DB}`);
  });
  await runMigrations(dbUrl(TEMPLATE_DB));
  return async () => {
    await adminSql((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`));
  };
}
