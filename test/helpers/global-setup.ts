import { runMigrations } from '../../src/db/migrate.js';
import { adminSql, dbUrl } from './db.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Once per run: a freshly migrated template database that each test file clones. Test databases
 * end in the pid of the process that made them; those of dead processes (an interrupted run) are
 * dropped, those of a concurrent run are left alone.
 */
export default async function setup() {
  const template = `steeple_test_tpl_${process.pid}`;
  process.env.STEEPLE_TEST_TEMPLATE_DB = template; // inherited by the test workers
  await adminSql(async (sql) => {
    const existing = await sql<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname LIKE 'steeple_test_%'`;
    for (const { datname } of existing) {
      const pid = Number(/_(\d+)$/.exec(datname)?.[1]);
      if (pid && !alive(pid)) await sql.unsafe(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await sql.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await sql.unsafe(`CREATE DATABASE ${template}`);
  });
  await runMigrations(dbUrl(template));
  return async () => {
    await adminSql((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`));
  };
}
