// The one way Steeple's entry points start (npm start, npm run worker and the CLIs):
//   node scripts/start.mjs [src/… .ts entry] [args…]      (no entry: src/main.ts)
// With NODE_ENV=production it runs the compiled JavaScript in dist/ (npm run build; built first
// here when dist/ is missing or older than the sources) and never loads tsx. Otherwise it
// registers tsx in this process, exactly as `node --import tsx`, and runs the TypeScript.
//
// It runs the entry in this process rather than spawning one: `exec node scripts/start.mjs`
// keeps npm start's primary the process a service manager signals, and node:cluster's forks
// re-run this file (process.argv[1]) with the same arguments, so they take the same branch.
// Plain JavaScript on purpose: it must run before anything can compile TypeScript.
import { spawnSync } from 'node:child_process';
import cluster from 'node:cluster';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
// what tsconfig.build.json compiles, plus the settings that change the output
const SOURCES = ['src', 'worker', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function fail(message) {
  process.stderr.write(`steeple: ${message}\n`);
  process.exit(1);
}

/**
 * NODE_ENV from the environment, else from the .env file src/config/dotenv.ts will load (the
 * environment wins there too); only the mode is needed here, the rest is src/config's business.
 */
function nodeEnv() {
  if (process.env.NODE_ENV) return process.env.NODE_ENV;
  const file = process.env.STEEPLE_ENV_FILE ? path.resolve(process.env.STEEPLE_ENV_FILE) : path.join(ROOT, '.env');
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 'development';
  }
  const m = /^[ \t]*(?:export[ \t]+)?NODE_ENV[ \t]*=[ \t]*["'`]?([A-Za-z]+)/m.exec(text);
  return m ? m[1] : 'development';
}

/** The newest modification time under the given paths (files and directories, recursively). */
function newest(paths) {
  let max = 0;
  const visit = (p) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    max = Math.max(max, st.mtimeMs);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(path.join(p, name));
  };
  for (const p of paths) visit(path.join(ROOT, p));
  return max;
}

/** dist/ is built when it has the entry and is newer than every source (tsc rewrites every output). */
function ensureBuilt(builtEntry) {
  const stamp = statSync(path.join(DIST, 'src/main.js'), { throwIfNoEntry: false });
  if (stamp && existsSync(builtEntry) && stamp.mtimeMs >= newest(SOURCES)) return;
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  if (!existsSync(tsc)) fail(`${path.relative(ROOT, DIST)}/ is ${stamp ? 'older than the sources' : 'missing'} and TypeScript is not installed to build it: run npm run build where it is`);
  process.stderr.write(`steeple: building ${path.relative(ROOT, DIST)}/ (${stamp ? 'older than the sources' : 'missing'}) …\n`);
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) fail('the build failed (npm run build shows why)');
}

// an explicit entry is the first argument when it names a .ts file; it is taken out of argv so
// the entry parses its own arguments as if it had been started directly
let entry = 'src/main.ts';
const first = process.argv[2];
if (first !== undefined && !first.startsWith('-') && first.endsWith('.ts')) {
  entry = path.normalize(first);
  process.argv.splice(2, 1);
}
if (!/^(src|worker)[\\/]/.test(entry) || !existsSync(path.join(ROOT, entry))) fail(`no entry point ${entry} under src/ or worker/`);

/**
 * npm start in development serves the reference app (web/) at /app: built here when web/dist is
 * missing or older than its sources (a few seconds, the first time). WEB_APP=false skips it; a
 * failed build is reported and the API starts without the app.
 */
function ensureWebBuilt() {
  const flag = process.env.WEB_APP;
  if (flag && ['false', '0', 'no'].includes(flag)) return;
  const index = statSync(path.join(ROOT, 'web/dist/index.html'), { throwIfNoEntry: false });
  if (index && index.mtimeMs >= newest(['web/src', 'web/index.html', 'web/vite.config.ts'])) return;
  const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
  if (!existsSync(vite)) {
    process.stderr.write('steeple: web/dist is not built and Vite is not installed (npm ci): /app will answer 404\n');
    return;
  }
  process.stderr.write(`steeple: building the web app into web/dist (${index ? 'older than its sources' : 'first start'}) …\n`);
  const r = spawnSync(process.execPath, [vite, 'build', '--config', path.join(ROOT, 'web/vite.config.ts'), '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.stderr.write('steeple: the web app did not build (npm run web:build shows why); the API starts without it\n');
}

if (nodeEnv() === 'production') {
  const builtEntry = path.join(DIST, entry.replace(/\.ts$/, '.js'));
  // a cluster fork runs what its primary has just checked (and maybe built)
  if (!cluster.isWorker) ensureBuilt(builtEntry);
  await import(pathToFileURL(builtEntry).href);
} else {
  if (entry === 'src/main.ts' && !cluster.isWorker) ensureWebBuilt();
  // the same registration `node --import tsx` performs (tsx's package entry is its loader)
  await import('tsx');
  await import(pathToFileURL(path.join(ROOT, entry)).href);
}
