import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './server.js';

export interface Bouncer {
  port: number;
  /** the same database URL, through this PgBouncer */
  via(url: string): string;
  stop(): Promise<void>;
}

/** Debian's PgBouncer is installed (`.ci/run` installs it). */
export const hasPgBouncer = () => spawnSync('pgbouncer', ['--version']).error === undefined;

/**
 * A real PgBouncer in transaction mode in front of the test PostgreSQL (127.0.0.1:5432, trust),
 * with a server pool smaller than the clients' so transactions share server connections.
 * As root it runs as the postgres user (PgBouncer refuses root).
 */
export async function startPgBouncer(opts: { poolSize?: number; upstreamPort?: number } = {}): Promise<Bouncer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steeple-pgbouncer-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // PgBouncer runs as postgres and writes its log and pid file here
    const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const port = await freePort();
  writeFileSync(path.join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=127.0.0.1 port=${opts.upstreamPort ?? 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize ?? 2}`,
      'max_client_conn = 500',
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('pgbouncer', [...(asRoot ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${err}`);
    const up = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (up) break;
    if (i > 100) throw new Error(`pgbouncer did not listen: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    via(url) {
      const u = new URL(url);
      u.port = String(port);
      return u.toString();
    },
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
