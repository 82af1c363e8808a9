// npm run fleet -- up | down | status | start <part> | stop <part> | restart <part>   [options]
//
// Steeple as a fleet on one machine, from Debian's packages (nothing is installed here): HAProxy in
// front of two API nodes (each a cluster of two processes), PgBouncer (transaction mode) in front of
// a PostgreSQL primary with a streaming replica, a Redis for the queue and sessions and one for the
// response cache, and two SMS workers, all on loopback ports. The configuration is deploy/*: this
// script only fills in the ports and paths ({{NAME}}) and starts, checks and stops the processes.
// Everything it makes lives in the state directory (.fleet/ by default, git-ignored): data/, the
// rendered conf/, run/ (pid files, HAProxy's socket), logs/, and fleet.json (the chosen ports).
//
// Options: --state-dir DIR (default .fleet), --base-port N (first use only: ports N … N+10; 0 picks
// free ports; default 7400), --cache-maxmemory SIZE (first use only; default 64mb), --json (status),
// --purge (down: also delete the state directory).
// Plain JavaScript on purpose, like scripts/start.mjs: it runs before anything is compiled.
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Redis } from 'ioredis';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = path.join(ROOT, 'deploy');
const DEFAULT_BASE_PORT = 7400;
const DEFAULT_CACHE_MAXMEMORY = '64mb';
const DATABASE = 'steeple';
const REPLICATION_SLOT = 'fleet_replica';
/** the order of ports from --base-port N: N, N+1, … */
const PORT_KEYS = ['lb', 'api1', 'api2', 'api1Metrics', 'api2Metrics', 'pgbouncer', 'pgPrimary', 'pgReplica', 'redisQueue', 'redisCache', 'haproxyStats'];

const say = (line = '') => process.stdout.write(`${line}\n`);

class FleetError extends Error {}

// ---------------------------------------------------------------------------------------------
// binaries: found, or named with the Debian package that provides them

const SEARCH_PATH = [...new Set([...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'])];

function which(name) {
  for (const dir of SEARCH_PATH) {
    const p = path.join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Debian's PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup, psql): the newest installed. */
function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length ? path.join(root, versions.at(-1), 'bin') : null;
}

const BINARIES = {
  haproxy: { package: 'haproxy', find: () => which('haproxy') },
  pgbouncer: { package: 'pgbouncer', find: () => which('pgbouncer') },
  'redis-server': { package: 'redis-server', find: () => which('redis-server') },
  initdb: { package: 'postgresql', find: () => pgBin('initdb') },
  pg_ctl: { package: 'postgresql', find: () => pgBin('pg_ctl') },
  pg_basebackup: { package: 'postgresql', find: () => pgBin('pg_basebackup') },
  psql: { package: 'postgresql-client', find: () => pgBin('psql') ?? which('psql') },
};

function pgBin(name) {
  const dir = postgresBinDir();
  return dir && existsSync(path.join(dir, name)) ? path.join(dir, name) : null;
}

/** The paths of the binaries named, or a FleetError naming every missing one and its package. */
function requireBinaries(names) {
  const found = {};
  const missing = [];
  for (const name of names) {
    const p = BINARIES[name].find();
    if (p) found[name] = p;
    else missing.push(name);
  }
  if (missing.length) {
    const packages = [...new Set(missing.map((n) => BINARIES[n].package))];
    throw new FleetError(
      `missing: ${missing.map((n) => `${n} (Debian package ${BINARIES[n].package})`).join(', ')}.\n` +
        `Install with: apt-get install -y ${packages.join(' ')}   (this script installs nothing)`,
    );
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// the state directory

const AS_ROOT = process.getuid?.() === 0;

/** PostgreSQL and PgBouncer refuse to run as root: as root they run as the postgres user. */
function serviceIds() {
  if (!AS_ROOT) return {};
  const id = (flag) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0) throw new FleetError('running as root, and there is no postgres user to run PostgreSQL and PgBouncer as (the postgresql package creates it)');
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function layout(stateDir) {
  const dir = path.resolve(stateDir);
  return {
    dir,
    conf: path.join(dir, 'conf'),
    data: path.join(dir, 'data'),
    run: path.join(dir, 'run'),
    logs: path.join(dir, 'logs'),
    stateFile: path.join(dir, 'fleet.json'),
  };
}

function readState(paths) {
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8'));
  } catch {
    return null;
  }
}

async function portFree(port) {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function anyFreePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** The ports of this state directory: chosen on first use and kept (the replica's conninfo names the primary's). */
async function ensureState(paths, opts) {
  const existing = readState(paths);
  if (existing) return existing;
  const ports = {};
  if (opts.basePort === 0) {
    const taken = new Set();
    for (const key of PORT_KEYS) {
      let p;
      do p = await anyFreePort();
      while (taken.has(p));
      taken.add(p);
      ports[key] = p;
    }
  } else {
    const busy = [];
    for (const [i, key] of PORT_KEYS.entries()) {
      ports[key] = opts.basePort + i;
      if (!(await portFree(ports[key]))) busy.push(ports[key]);
    }
    if (busy.length) throw new FleetError(`port${busy.length > 1 ? 's' : ''} ${busy.join(', ')} already in use on 127.0.0.1: choose others with --base-port N (ports N … N+${PORT_KEYS.length - 1}), or 0 for any free ports`);
  }
  if (!/^\d+(kb|mb|gb)?$/i.test(opts.cacheMaxmemory)) throw new FleetError(`--cache-maxmemory must be a Redis size such as 64mb, got "${opts.cacheMaxmemory}"`);
  const state = { version: 1, createdAt: new Date().toISOString(), ports, cacheMaxmemory: opts.cacheMaxmemory };
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

function prepareDirs(paths, ids) {
  for (const d of [paths.dir, paths.conf, paths.data, paths.run, paths.logs]) mkdirSync(d, { recursive: true });
  // the postgres user reads conf/ and writes its logs here: the tree must be traversable by it
  if (AS_ROOT) for (const d of [paths.dir, paths.conf, paths.data, paths.run, paths.logs]) chmodSync(d, 0o755);
  if (AS_ROOT) {
    const probe = spawnSync('test', ['-x', paths.conf], { uid: ids.uid, gid: ids.gid });
    if (probe.status !== 0) throw new FleetError(`the postgres user cannot reach ${paths.conf}: make every directory above it traversable (chmod o+x), or use --state-dir elsewhere`);
  }
}

/** deploy/<template> with every {{NAME}} replaced; a name without a value is an error. */
function render(template, vars) {
  const text = readFileSync(path.join(DEPLOY, template), 'utf8');
  return text.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_m, name) => {
    if (!(name in vars)) throw new FleetError(`deploy/${template} uses {{${name}}}, which the fleet does not know`);
    return String(vars[name]);
  });
}

/** Renders every template into conf/ (each start: deploy/ may have changed since). */
function renderConfig(paths, state) {
  const p = state.ports;
  const common = {
    CONF_DIR: paths.conf,
    RUN_DIR: paths.run,
    LB_PORT: p.lb,
    API_1_PORT: p.api1,
    API_2_PORT: p.api2,
    HAPROXY_STATS_PORT: p.haproxyStats,
    PGBOUNCER_PORT: p.pgbouncer,
    PG_PRIMARY_PORT: p.pgPrimary,
    PG_REPLICA_PORT: p.pgReplica,
    REDIS_QUEUE_PORT: p.redisQueue,
    REDIS_CACHE_PORT: p.redisCache,
    PUBLIC_URL: `http://127.0.0.1:${p.lb}`,
    CACHE_MAXMEMORY: state.cacheMaxmemory,
  };
  const files = {
    'haproxy.cfg': render('haproxy.cfg', common),
    'haproxy-503.http': render('haproxy-503.http', common),
    'pgbouncer.ini': render('pgbouncer.ini', common),
    'pgbouncer-users.txt': render('pgbouncer-users.txt', common),
    'redis-queue.conf': render('redis-queue.conf', { ...common, REDIS_PORT: p.redisQueue, REDIS_DIR: path.join(paths.data, 'redis-queue') }),
    'redis-cache.conf': render('redis-cache.conf', { ...common, REDIS_PORT: p.redisCache, REDIS_DIR: path.join(paths.data, 'redis-cache') }),
    'postgresql-primary.conf': render('postgresql.conf', { ...common, PG_PORT: p.pgPrimary }),
    'postgresql-replica.conf': render('postgresql.conf', { ...common, PG_PORT: p.pgReplica }),
    'api-1.env': render('api.env', { ...common, API_PORT: p.api1, METRICS_PORT: p.api1Metrics }),
    'api-2.env': render('api.env', { ...common, API_PORT: p.api2, METRICS_PORT: p.api2Metrics }),
    'worker-1.env': render('worker.env', common),
    'worker-2.env': render('worker.env', common),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(paths.conf, name), text, { mode: 0o644 });
}

// ---------------------------------------------------------------------------------------------
// processes

/** Alive and not a zombie (an orphan whose exit nobody collected still answers kill 0). */
function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code === 'ESRCH') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return !existsSync('/proc/self');
  }
}

function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function readPidFile(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The environment of a started process: only what a shell session gives, never this one's settings. */
function baseEnv(extra = {}) {
  const env = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'LOGNAME']) if (process.env[k] !== undefined) env[k] = process.env[k];
  env.PATH = SEARCH_PATH.join(':');
  return { ...env, ...extra };
}

function logTail(file, from = 0, lines = 25) {
  try {
    const text = readFileSync(file, 'utf8').slice(from);
    return text.split('\n').slice(-lines).join('\n').trim();
  } catch {
    return '(no log)';
  }
}

function fileSize(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Starts a long-running process in its own process group, output appended to its log; writes its pid file. */
function launch(ctx, part, command, args, opts = {}) {
  const log = path.join(ctx.paths.logs, `${part.name}.log`);
  appendFileSync(log, `\n--- ${new Date().toISOString()} fleet: ${command} ${args.join(' ')}\n`);
  const from = fileSize(log);
  const fd = openSync(log, 'a');
  let child;
  try {
    child = spawn(command, args, { cwd: ROOT, env: opts.env ?? baseEnv(), detached: true, stdio: ['ignore', fd, fd], ...(opts.ids ?? {}) });
  } finally {
    closeSync(fd);
  }
  let exit = null;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  child.once('error', (e) => (exit = { code: null, signal: null, error: e.message }));
  child.unref();
  if (child.pid) writeFileSync(pidFileOf(ctx, part), `${child.pid}\n`);
  return { pid: child.pid, log, from, exited: () => exit };
}

/** Runs a command to its end (as the given ids), throwing with its output when it fails. */
function run(command, args, opts = {}) {
  const r = spawnSync(command, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? baseEnv(), encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, ...(opts.ids ?? {}) });
  if (r.status !== 0) {
    throw new FleetError(`${path.basename(command)} ${args.join(' ')} failed${r.error ? ` (${r.error.message})` : ''}:\n${`${r.stderr ?? ''}${r.stdout ?? ''}`.trim()}`);
  }
  return r.stdout;
}

/** Polls check() until it is true; throws with the log's end when the process exits first or time runs out. */
async function waitReady(what, started, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    const exit = started?.exited();
    if (exit) {
      throw new FleetError(`${what} exited (${exit.error ?? (exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`)}) before it was ready; ${path.relative(process.cwd(), started.log)}:\n${logTail(started.log, started.from)}`);
    }
    if (Date.now() > deadline) {
      throw new FleetError(`${what} was not ready within ${Math.round(timeoutMs / 1000)} s${started ? `; ${path.relative(process.cwd(), started.log)}:\n${logTail(started.log, started.from)}` : ''}`);
    }
    await sleep(150);
  }
}

/** SIGTERM (or the given signal), then waits for the exit; SIGKILL to the process group after timeoutMs. */
async function terminate(pid, { signal = 'SIGTERM', timeoutMs = 20_000, group = true } = {}) {
  try {
    process.kill(pid, signal);
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid) && !(group && groupAlive(pid))) return 'stopped';
    await sleep(100);
  }
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  return 'killed';
}

/** Any live process left in the group the fleet started (a cluster's API processes). */
function groupAlive(pgid) {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
    } catch {
      // exited meanwhile
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// probes: does a part answer?

function httpGet(port, urlPath, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** One Redis command on a fresh connection (ioredis, no retries: a part that does not answer says so at once). */
async function redisCommand(port, args, timeoutMs = 2000) {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, commandTimeout: timeoutMs });
  r.on('error', () => {});
  try {
    await r.connect();
    return await r.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    r.disconnect();
  }
}

/** One SQL statement through psql (simple protocol, so it works through PgBouncer too); the rows as text. */
function psql(ctx, port, database, sql, { timeoutMs = 5000, header = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(ctx.bin('psql'), ['-X', header ? '-A' : '-At', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      env: baseEnv({ PGCONNECT_TIMEOUT: '3' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'close', not 'exit': 'exit' can come before the last of stdout has been read (an empty answer)
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim());
      else reject(new Error(err.trim() || `psql exited with ${code}`));
    });
  });
}

/** HAProxy's view of the API servers (`show stat` on its admin socket): { api1: 'UP', api2: 'DOWN', … }. */
function haproxyServers(ctx, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path.join(ctx.paths.run, 'haproxy.sock'));
    let text = '';
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), timeoutMs);
    socket.on('connect', () => socket.write('show stat\n'));
    socket.on('data', (d) => (text += d));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const [header, ...rows] = text.replace(/^# /, '').trim().split('\n');
      const cols = (header ?? '').split(',');
      const servers = {};
      for (const row of rows) {
        const f = row.split(',');
        const rec = Object.fromEntries(cols.map((c, i) => [c, f[i]]));
        if (rec.pxname === 'api' && rec.svname !== 'BACKEND' && rec.svname !== 'FRONTEND') servers[rec.svname] = rec.status;
      }
      resolve(servers);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// the parts, in start order (stopped in reverse)

const pidFileOf = (ctx, part) => path.join(ctx.paths.run, `${part.name}.pid`);
const envFileOf = (ctx, part) => path.join(ctx.paths.conf, `${part.name}.env`);

function postgresPart(name, role, portKey) {
  const dataOf = (ctx) => path.join(ctx.paths.data, `postgres-${role}`);
  return {
    name,
    portKey,
    binaries: ['initdb', 'pg_ctl', 'pg_basebackup', 'psql'],
    pid(ctx) {
      // PostgreSQL's own lock file names the postmaster
      const pid = readPidFile(path.join(dataOf(ctx), 'postmaster.pid'));
      return pid && alive(pid) ? pid : null;
    },
    async start(ctx) {
      const data = dataOf(ctx);
      const log = path.join(ctx.paths.logs, `${name}.log`);
      const own = (p) => AS_ROOT && chownSync(p, ctx.ids.uid, ctx.ids.gid);
      const include = (file) => `\n# the fleet's settings: deploy/postgresql.conf, rendered\ninclude '${path.join(ctx.paths.conf, file)}'\n`;
      if (!existsSync(path.join(data, 'PG_VERSION'))) {
        rmSync(data, { recursive: true, force: true });
        mkdirSync(data, { mode: 0o700 });
        own(data);
        if (role === 'primary') {
          say(`  ${name}: initdb ${path.relative(process.cwd(), data)}`);
          run(ctx.bin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], { ids: ctx.ids });
          appendFileSync(path.join(data, 'postgresql.conf'), include('postgresql-primary.conf'));
        } else {
          const primaryPort = ctx.state.ports.pgPrimary;
          // a slot left by an earlier, unfinished copy would make -C fail
          await psql(ctx, primaryPort, 'postgres', `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${REPLICATION_SLOT}'`);
          // --checkpoint=fast: the copy starts at once instead of after a spread checkpoint (minutes)
          say(`  ${name}: pg_basebackup -R from the primary (slot ${REPLICATION_SLOT})`);
          run(ctx.bin('pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '-C', '-S', REPLICATION_SLOT, '--checkpoint=fast'], { ids: ctx.ids });
          // the copy includes the primary's settings: this server takes its own
          const conf = path.join(data, 'postgresql.conf');
          writeFileSync(conf, readFileSync(conf, 'utf8').replace('postgresql-primary.conf', 'postgresql-replica.conf'));
        }
      }
      if (!existsSync(log)) writeFileSync(log, '');
      own(log);
      run(ctx.bin('pg_ctl'), ['-D', data, '-l', log, '-w', '-t', '60', 'start'], { ids: ctx.ids });
      const port = ctx.state.ports[portKey];
      if (role === 'primary') {
        const exists = await psql(ctx, port, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`);
        if (exists !== '1') await psql(ctx, port, 'postgres', `CREATE DATABASE ${DATABASE}`);
      } else {
        await waitReady(name, null, async () => (await psql(ctx, port, 'postgres', 'SELECT pg_is_in_recovery()')) === 't', 30_000);
      }
    },
    async stop(ctx) {
      const pid = this.pid(ctx);
      if (!pid) return 'not running';
      // fast shutdown: sessions are ended, a checkpoint is written, the server exits cleanly
      const r = spawnSync(ctx.bin('pg_ctl'), ['-D', dataOf(ctx), '-m', 'fast', '-w', '-t', '60', 'stop'], { encoding: 'utf8', ...ctx.ids });
      if (r.status !== 0 && alive(pid)) return terminate(pid, { signal: 'SIGINT', timeoutMs: 30_000, group: false });
      return 'stopped';
    },
    async probe(ctx) {
      const port = ctx.state.ports[portKey];
      if (role === 'primary') {
        const v = await psql(ctx, port, 'postgres', `SELECT (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming') || ' replica(s) streaming'`);
        return `primary, ${v}`;
      }
      const v = await psql(ctx, port, 'postgres', `SELECT pg_is_in_recovery(), coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')`);
      const [recovery, receiver] = v.split('|');
      if (recovery !== 't') throw new Error(`not in recovery (${v}): not a replica`);
      return `replica, WAL receiver ${receiver}`;
    },
  };
}

function redisPart(name, portKey) {
  return {
    name,
    portKey,
    binaries: ['redis-server'],
    marker: 'redis-server',
    async start(ctx) {
      mkdirSync(path.join(ctx.paths.data, name), { recursive: true });
      const started = launch(ctx, this, ctx.bin('redis-server'), [path.join(ctx.paths.conf, `${name}.conf`)]);
      await waitReady(name, started, async () => (await redisCommand(ctx.state.ports[portKey], ['PING'])) === 'PONG', 20_000);
    },
    stop: (ctx) => stopByPid(ctx, parts.get(name), { timeoutMs: 20_000 }),
    async probe(ctx) {
      const port = ctx.state.ports[portKey];
      const [, policy] = await redisCommand(port, ['CONFIG', 'GET', 'maxmemory-policy']);
      const [, aof] = await redisCommand(port, ['CONFIG', 'GET', 'appendonly']);
      const keys = await redisCommand(port, ['DBSIZE']);
      return `PONG, ${policy}, appendonly ${aof}, ${keys} keys`;
    },
  };
}

const pgbouncerPart = {
  name: 'pgbouncer',
  portKey: 'pgbouncer',
  binaries: ['pgbouncer', 'psql'],
  marker: 'pgbouncer',
  async start(ctx) {
    const started = launch(ctx, this, ctx.bin('pgbouncer'), [path.join(ctx.paths.conf, 'pgbouncer.ini')], { ids: ctx.ids });
    await waitReady('pgbouncer', started, async () => (await psql(ctx, ctx.state.ports.pgbouncer, DATABASE, 'SELECT 1')) === '1', 20_000);
  },
  // SIGINT is PgBouncer's safe shutdown (transactions in progress finish); 1.18's SIGTERM drops them
  stop: (ctx) => stopByPid(ctx, pgbouncerPart, { signal: 'SIGINT', timeoutMs: 20_000 }),
  async probe(ctx) {
    const one = await psql(ctx, ctx.state.ports.pgbouncer, DATABASE, 'SELECT 1');
    if (one !== '1') throw new Error(`SELECT 1 answered ${one}`);
    const [head, ...rows] = (await psql(ctx, ctx.state.ports.pgbouncer, 'pgbouncer', 'SHOW POOLS', { header: true })).split('\n');
    const cols = head.split('|');
    const pools = rows.map((r) => Object.fromEntries(r.split('|').map((v, i) => [cols[i], v]))).filter((r) => r.database === DATABASE);
    const sum = (col) => pools.reduce((n, r) => n + Number(r[col] ?? 0), 0);
    return `SELECT 1 through it; ${pools[0]?.pool_mode ?? 'transaction'} mode, clients ${sum('cl_active')} active ${sum('cl_waiting')} waiting, server connections ${sum('sv_active')} active ${sum('sv_idle')} idle`;
  },
};

function apiPart(n) {
  const name = `api-${n}`;
  const portKey = `api${n}`;
  return {
    name,
    portKey,
    binaries: [],
    marker: 'scripts/start.mjs --workers',
    async start(ctx) {
      // as npm start: two malloc arenas (README → Memory)
      const env = baseEnv({ STEEPLE_ENV_FILE: envFileOf(ctx, this), MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' });
      const started = launch(ctx, this, process.execPath, ['--max-old-space-size=192', path.join(ROOT, 'scripts/start.mjs'), '--workers', '2'], { env });
      // ready: both API processes listen (the primary's "Steeple API ready") and /readyz answers 200
      await waitReady(name, started, async () => readFileSync(started.log, 'utf8').slice(started.from).includes('"Steeple API ready"') && (await httpGet(ctx.state.ports[portKey], '/readyz')).status === 200, 120_000);
    },
    // SIGTERM: the node drains (readyz 503, in-flight requests finish within SHUTDOWN_GRACE_MS)
    stop: (ctx) => stopByPid(ctx, parts.get(name), { timeoutMs: 20_000 }),
    async probe(ctx) {
      const r = await httpGet(ctx.state.ports[portKey], '/readyz');
      if (r.status !== 200) throw new Error(`/readyz ${r.status} ${r.body}`);
      return `/readyz 200, metrics on 127.0.0.1:${ctx.state.ports[`${portKey}Metrics`]}`;
    },
  };
}

function workerPart(n) {
  const name = `worker-${n}`;
  return {
    name,
    portKey: null,
    binaries: [],
    marker: 'scripts/start.mjs worker/main.ts',
    async start(ctx) {
      const env = baseEnv({ STEEPLE_ENV_FILE: envFileOf(ctx, this) });
      const started = launch(ctx, this, process.execPath, [path.join(ROOT, 'scripts/start.mjs'), 'worker/main.ts'], { env });
      await waitReady(name, started, async () => readFileSync(started.log, 'utf8').slice(started.from).includes('"SMS worker ready"'), 120_000);
    },
    // SIGTERM: active sends finish within SHUTDOWN_GRACE_MS
    stop: (ctx) => stopByPid(ctx, parts.get(name), { timeoutMs: 20_000 }),
    async probe(ctx) {
      // BullMQ names each of the worker's queue connections …:w:<host>:<pid>
      const pid = ctx.pidOf(this);
      const list = await redisCommand(ctx.state.ports.redisQueue, ['CLIENT', 'LIST']);
      const mine = String(list)
        .split('\n')
        .filter((l) => new RegExp(`name=\\S*:w:\\S*:${pid}(\\s|$)`).test(l)).length;
      if (!mine) throw new Error('no connection to the queue Redis');
      return `${mine} connection(s) to the queue Redis`;
    },
  };
}

const haproxyPart = {
  name: 'haproxy',
  portKey: 'lb',
  binaries: ['haproxy'],
  marker: 'haproxy',
  async start(ctx) {
    const cfg = path.join(ctx.paths.conf, 'haproxy.cfg');
    run(ctx.bin('haproxy'), ['-c', '-q', '-f', cfg]);
    // -db: in the foreground (the fleet keeps its pid), no master process
    const started = launch(ctx, this, ctx.bin('haproxy'), ['-db', '-f', cfg]);
    await waitReady('haproxy', started, async () => (await httpGet(ctx.state.ports.lb, '/readyz')).status === 200, 20_000);
  },
  // SIGUSR1 is HAProxy's soft stop: it stops listening and lets open requests finish
  // (hard-stop-after bounds it); its SIGTERM would cut them
  stop: (ctx) => stopByPid(ctx, haproxyPart, { signal: 'SIGUSR1', timeoutMs: 35_000 }),
  async probe(ctx) {
    const r = await httpGet(ctx.state.ports.lb, '/readyz');
    const servers = await haproxyServers(ctx);
    const view = Object.entries(servers)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    if (r.status !== 200) throw new Error(`/readyz through it: ${r.status}; servers: ${view}`);
    return `/readyz 200 through it; servers: ${view}; stats on http://127.0.0.1:${ctx.state.ports.haproxyStats}/`;
  },
};

async function stopByPid(ctx, part, opts) {
  const pid = ctx.pidOf(part);
  if (!pid) {
    rmSync(pidFileOf(ctx, part), { force: true });
    return 'not running';
  }
  const how = await terminate(pid, opts);
  rmSync(pidFileOf(ctx, part), { force: true });
  return how;
}

const PARTS = [
  postgresPart('postgres-primary', 'primary', 'pgPrimary'),
  postgresPart('postgres-replica', 'replica', 'pgReplica'),
  redisPart('redis-queue', 'redisQueue'),
  redisPart('redis-cache', 'redisCache'),
  pgbouncerPart,
  apiPart(1),
  apiPart(2),
  workerPart(1),
  workerPart(2),
  haproxyPart,
];
const parts = new Map(PARTS.map((p) => [p.name, p]));
/** up: what can start together, in order (the API nodes seed the demo under a lock: either may) */
const START_TIERS = [['postgres-primary'], ['postgres-replica', 'redis-queue', 'redis-cache'], ['pgbouncer'], ['api-1', 'api-2', 'worker-1', 'worker-2'], ['haproxy']];
/** down: what can stop together, in order (traffic first, data last) */
const STOP_TIERS = [['haproxy'], ['api-1', 'api-2', 'worker-1', 'worker-2'], ['pgbouncer'], ['redis-queue', 'redis-cache'], ['postgres-replica'], ['postgres-primary']];

function context(opts, binaryNames) {
  const paths = layout(opts.stateDir);
  const found = binaryNames ? requireBinaries(binaryNames) : {};
  const ctx = {
    paths,
    state: readState(paths),
    ids: {},
    bin(name) {
      if (!found[name]) found[name] = requireBinaries([name])[name];
      return found[name];
    },
    pidOf(part) {
      if (part.pid) return part.pid(ctx);
      const pid = readPidFile(pidFileOf(ctx, part));
      // a pid file from before a reboot may name someone else's process now
      return pid && alive(pid) && commandLine(pid).includes(part.marker) ? pid : null;
    },
  };
  return ctx;
}

async function prepare(ctx, opts) {
  ctx.ids = serviceIds();
  ctx.state = await ensureState(ctx.paths, opts);
  prepareDirs(ctx.paths, ctx.ids);
  renderConfig(ctx.paths, ctx.state);
}

async function startPart(ctx, part) {
  const pid = ctx.pidOf(part);
  if (pid) {
    say(`  ${part.name}: already running (pid ${pid})`);
    return;
  }
  const t0 = Date.now();
  await part.start(ctx);
  say(`  ${part.name}: started${part.portKey ? ` on 127.0.0.1:${ctx.state.ports[part.portKey]}` : ''} (pid ${ctx.pidOf(part)}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

/** Migrations once, on the primary itself (DATABASE_DIRECT_URL), with the role's timeouts for PgBouncer. */
function migrate(ctx) {
  const t0 = Date.now();
  const log = path.join(ctx.paths.logs, 'migrate.log');
  appendFileSync(log, `\n--- ${new Date().toISOString()} fleet: db:migrate\n`);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/start.mjs'), 'src/db/migrate-cli.ts'], {
    cwd: ROOT,
    env: baseEnv({ STEEPLE_ENV_FILE: path.join(ctx.paths.conf, 'api-1.env') }),
    encoding: 'utf8',
    timeout: 180_000,
  });
  appendFileSync(log, `${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.status !== 0) throw new FleetError(`migrations failed (${path.relative(process.cwd(), log)}):\n${`${r.stderr}${r.stdout}`.trim().split('\n').slice(-20).join('\n')}`);
  say(`  migrations: applied to the primary (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

async function statusRows(ctx) {
  return Promise.all(
    PARTS.map(async (part) => {
      const pid = ctx.state ? ctx.pidOf(part) : null;
      const port = part.portKey && ctx.state ? ctx.state.ports[part.portKey] : null;
      if (!pid) return { name: part.name, port, pid: null, running: false, answers: false, detail: 'not running' };
      try {
        return { name: part.name, port, pid, running: true, answers: true, detail: await part.probe(ctx) };
      } catch (e) {
        return { name: part.name, port, pid, running: true, answers: false, detail: `not answering: ${e.message}` };
      }
    }),
  );
}

function printRows(rows) {
  const w = (s, n) => String(s).padEnd(n);
  say(`  ${w('part', 18)}${w('port', 7)}${w('pid', 9)}${w('state', 14)}detail`);
  for (const r of rows) say(`  ${w(r.name, 18)}${w(r.port ?? '-', 7)}${w(r.pid ?? '-', 9)}${w(r.answers ? 'answers' : r.running ? 'running' : 'stopped', 14)}${r.detail}`);
}

// ---------------------------------------------------------------------------------------------
// commands

const ALL_BINARIES = Object.keys(BINARIES);

async function up(opts) {
  const ctx = context(opts, ALL_BINARIES);
  await prepare(ctx, opts);
  say(`Steeple fleet: state in ${path.relative(process.cwd(), ctx.paths.dir) || '.'}`);
  for (const tier of START_TIERS) {
    if (tier.includes('api-1') && (!ctx.pidOf(parts.get('api-1')) || !ctx.pidOf(parts.get('api-2')))) migrate(ctx);
    await Promise.all(tier.map((name) => startPart(ctx, parts.get(name))));
  }
  const url = `http://127.0.0.1:${ctx.state.ports.lb}`;
  say();
  printRows(await statusRows(ctx));
  say();
  say(`  Load balancer: ${url}/graphql   (HAProxy stats: http://127.0.0.1:${ctx.state.ports.haproxyStats}/)`);
  say(`  Demo sign-in (password "steeple-demo-2026"): owner@grace.example, staff@grace.example, ops@steeple.example`);
  say(`  Stop with: npm run fleet -- down${opts.stateDirGiven ? ` --state-dir ${opts.stateDir}` : ''}`);
}

async function down(opts) {
  const ctx = context(opts);
  if (!ctx.state) {
    say(`no fleet in ${ctx.paths.dir}`);
    return;
  }
  ctx.ids = serviceIds();
  for (const tier of STOP_TIERS) {
    await Promise.all(
      tier.map(async (name) => {
        const part = parts.get(name);
        const pid = ctx.pidOf(part);
        const t0 = Date.now();
        const how = await part.stop(ctx);
        if (pid) say(`  ${name}: ${how} (pid ${pid}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }),
    );
  }
  if (opts.purge) {
    rmSync(ctx.paths.dir, { recursive: true, force: true });
    say(`  removed ${ctx.paths.dir}`);
  }
}

async function status(opts) {
  const ctx = context(opts);
  const rows = ctx.state ? await statusRows(ctx) : [];
  if (opts.json) {
    say(JSON.stringify({ stateDir: ctx.paths.dir, ports: ctx.state?.ports ?? null, url: ctx.state ? `http://127.0.0.1:${ctx.state.ports.lb}` : null, parts: rows }, null, 2));
  } else if (!ctx.state) {
    say(`no fleet in ${ctx.paths.dir} (npm run fleet -- up)`);
  } else {
    say(`Steeple fleet in ${ctx.paths.dir}: load balancer http://127.0.0.1:${ctx.state.ports.lb}/graphql`);
    printRows(rows);
  }
  return rows.length > 0 && rows.every((r) => r.answers) ? 0 : 1;
}

function partNamed(name) {
  const part = parts.get(name ?? '');
  if (!part) throw new FleetError(`name a part: ${PARTS.map((p) => p.name).join(', ')}`);
  return part;
}

async function startOne(opts, name) {
  const part = partNamed(name);
  const ctx = context(opts, part.binaries);
  await prepare(ctx, opts);
  await startPart(ctx, part);
}

async function stopOne(opts, name) {
  const part = partNamed(name);
  const ctx = context(opts);
  if (!ctx.state) throw new FleetError(`no fleet in ${ctx.paths.dir}`);
  ctx.ids = serviceIds();
  const pid = ctx.pidOf(part);
  const t0 = Date.now();
  const how = await part.stop(ctx);
  say(`  ${part.name}: ${how}${pid ? ` (pid ${pid}, ${((Date.now() - t0) / 1000).toFixed(1)} s)` : ''}`);
}

const USAGE = `usage: npm run fleet -- up | down [--purge] | status [--json] | start <part> | stop <part> | restart <part>
  options: --state-dir DIR (default .fleet)   first use only: --base-port N (default ${DEFAULT_BASE_PORT}; 0: any free ports), --cache-maxmemory SIZE (default ${DEFAULT_CACHE_MAXMEMORY})
  parts: ${PARTS.map((p) => p.name).join(', ')}`;

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        'state-dir': { type: 'string' },
        'base-port': { type: 'string' },
        'cache-maxmemory': { type: 'string' },
        json: { type: 'boolean' },
        purge: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`fleet: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, name] = positionals;
  if (values.help || !command) {
    say(USAGE);
    return values.help ? 0 : 2;
  }
  const basePort = values['base-port'] === undefined ? DEFAULT_BASE_PORT : Number(values['base-port']);
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65535 - PORT_KEYS.length) {
    process.stderr.write(`fleet: --base-port must be 0 or a port number, got "${values['base-port']}"\n`);
    return 2;
  }
  const opts = {
    stateDir: values['state-dir'] ?? path.join(ROOT, '.fleet'),
    stateDirGiven: values['state-dir'] !== undefined,
    basePort,
    cacheMaxmemory: values['cache-maxmemory'] ?? DEFAULT_CACHE_MAXMEMORY,
    json: values.json ?? false,
    purge: values.purge ?? false,
  };
  switch (command) {
    case 'up':
      await up(opts);
      return 0;
    case 'down':
      await down(opts);
      return 0;
    case 'status':
      return status(opts);
    case 'start':
      await startOne(opts, name);
      return 0;
    case 'stop':
      await stopOne(opts, name);
      return 0;
    case 'restart':
      await stopOne(opts, name);
      await startOne(opts, name);
      return 0;
    default:
      process.stderr.write(`fleet: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`fleet: ${e instanceof FleetError ? e.message : (e?.stack ?? e)}\n`);
    process.exit(1);
  },
);
