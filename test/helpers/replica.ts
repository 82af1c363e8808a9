import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from './server.js';

/** Debian's PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup), the newest installed. */
function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b));
  return versions.length ? path.join(root, versions.at(-1)!, 'bin') : null;
}

export const hasPostgresServer = () => binDir() !== null;

export interface ReplicaPair {
  primaryUrl(database: string): string;
  replicaUrl(database: string): string;
  primaryPort: number;
  replicaPort: number;
  /** SELECT pg_wal_replay_pause() on the replica: lag on purpose */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  stopReplica(): void;
  startReplica(): void;
  stop(): void;
}

/**
 * A PostgreSQL primary and its streaming replica of this test's own, on loopback ports: a fresh
 * cluster (initdb, trust) and a second one from pg_basebackup -R, as the deploy/ fleet builds them.
 * As root both run as the postgres user (PostgreSQL refuses root).
 */
export async function startReplicaPair(): Promise<ReplicaPair> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steeple-replica-'));
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: id('-u'), gid: id('-g') } : {};
  if (asRoot) chownSync(dir, ids.uid!, ids.gid!);
  const run = (cmd: string, args: string[], opts: SpawnSyncOptions = {}) => {
    const r = spawnSync(path.join(bin, cmd), args, { ...ids, cwd: dir, encoding: 'utf8', timeout: 60_000, ...opts });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error}`);
  };
  const primaryPort = await freePort();
  const replicaPort = await freePort();
  const primary = path.join(dir, 'primary');
  const replica = path.join(dir, 'replica');
  const settings = (port: number) => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c shared_buffers=32MB -c max_wal_senders=4`;
  run('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run('pg_ctl', ['-D', primary, '-l', path.join(dir, 'primary.log'), '-o', settings(primaryPort), '-w', 'start']);
  run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replica, '-R', '-X', 'stream', '--no-sync']);
  const startReplica = () => run('pg_ctl', ['-D', replica, '-l', path.join(dir, 'replica.log'), '-o', settings(replicaPort), '-w', 'start']);
  startReplica();
  const url = (port: number, database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const onReplica = async (q: string) => {
    const sql = postgres(url(replicaPort, 'postgres'), { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(q);
    } finally {
      await sql.end();
    }
  };
  let stopped = false;
  return {
    primaryPort,
    replicaPort,
    primaryUrl: (db) => url(primaryPort, db),
    replicaUrl: (db) => url(replicaPort, db),
    pauseReplay: () => onReplica('SELECT pg_wal_replay_pause()'),
    resumeReplay: () => onReplica('SELECT pg_wal_replay_resume()'),
    stopReplica: () => run('pg_ctl', ['-D', replica, '-m', 'immediate', '-w', 'stop']),
    startReplica,
    stop() {
      if (stopped) return;
      stopped = true;
      for (const d of [replica, primary]) spawnSync(path.join(bin, 'pg_ctl'), ['-D', d, '-m', 'immediate', '-w', 'stop'], { ...ids, cwd: dir, timeout: 30_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function id(flag: string): number {
  return Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
}
