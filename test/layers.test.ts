import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The layer rules of `npm run lint` (.dependency-cruiser.mjs, .dependency-cruiser-modules.mjs),
// run by the same CLI and configs: once on a fixture tree that plants one violation of each rule
// (and a few allowed imports beside them), once on the real tree against its baseline.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEPCRUISE = path.join(ROOT, 'node_modules/.bin/depcruise');
const MAIN = path.join(ROOT, '.dependency-cruiser.mjs');
const MODULES = path.join(ROOT, '.dependency-cruiser-modules.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** The violations found, from the json reporter (which always exits 0). */
function cruise(cwd: string, args: string[]): Violation[] {
  const r = spawnSync(DEPCRUISE, [...args, '--output-type', 'json'], { cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** The exit code of the command `npm run lint` runs (the err reporter: non-zero per error). */
function lintStatus(cwd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(DEPCRUISE, [...args, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, output: r.stdout + r.stderr };
}

// the fixture's node_modules is a symlink: depcruise names packages by their real path
const short = (p: string) => p.replace(/^.*node_modules\//, 'node_modules/');
const rows = (vs: Violation[]) => vs.map((v) => `${v.rule.name}: ${short(v.from)} -> ${short(v.to)}`).sort();

const FIXTURE: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: [] },
    include: ['src', 'worker'],
  }),
  // allowed: the worker uses a neutral helper
  'src/lib/ok.ts': `export const ok = 1;\n`,
  'worker/clean.ts': `import { ok } from '../src/lib/ok.js';\nexport const w = ok;\n`,
  // api-not-to-worker, api-not-to-twilio
  'src/api-to-worker.ts': `import { w } from '../worker/clean.js';\nexport const a = w;\n`,
  'src/sms/client.ts': `import twilio from 'twilio';\nexport const t = twilio;\n`,
  // worker-not-to-api: graphql two hops away (as src/cache/policy.ts once was), src/http directly
  'worker/main.ts': `import { drop } from '../src/cache/invalidate.js';\nexport const m = drop;\n`,
  'src/cache/invalidate.ts': `import { policy } from './policy.js';\nexport const drop = policy;\n`,
  'src/cache/policy.ts': `import { Kind } from 'graphql';\nexport const policy = Kind.FIELD;\n`,
  'worker/http.ts': `import { app } from '../src/http/app.js';\nexport const h = app;\n`,
  'src/http/app.ts': `export const app = 1;\n`,
  // services-not-to-graphql (a type-only import counts); resolvers may import src/graphql
  'src/graphql/context.ts': `export interface Context { id: number }\n`,
  'src/modules/a/a.service.ts': `import type { Context } from '../../graphql/context.js';\nexport const s = (c: Context) => c.id;\n`,
  'src/modules/a/a.resolver.ts': `import type { Context } from '../../graphql/context.js';\nexport const r = (c: Context) => c.id;\n`,
  'src/modules/a/a.queries.ts': `export const q = 1;\n`,
  // db-not-to-modules
  'src/db/seed.ts': `import { q } from '../modules/a/a.queries.js';\nexport const seed = q;\n`,
  // no-circular
  'src/lib/p.ts': `import { q } from './q.js';\nexport const p = () => q;\n`,
  'src/lib/q.ts': `import { p } from './p.js';\nexport const q = () => p;\n`,
  // no-module-folder-cycles without any file cycle: x/x.service → y/y.queries, y/y.service → x/x.queries
  'src/modules/x/x.service.ts': `import { yq } from '../y/y.queries.js';\nexport const xs = yq;\n`,
  'src/modules/x/x.queries.ts': `export const xq = 1;\n`,
  'src/modules/y/y.service.ts': `import { xq } from '../x/x.queries.js';\nexport const ys = xq;\n`,
  'src/modules/y/y.queries.ts': `export const yq = 1;\n`,
  // auth → church one way is allowed (not reported); auth ↔ analytics is a cycle
  'src/modules/auth/viewer.ts': `export const viewer = 1;\n`,
  'src/modules/auth/auth.type.ts': `import { church } from '../church/church.type.js';\nexport const at = church;\n`,
  'src/modules/church/church.type.ts': `export const church = 1;\n`,
  'src/modules/auth/auth.service.ts': `import { an } from '../analytics/analytics.queries.js';\nexport const as = an;\n`,
  'src/modules/analytics/analytics.queries.ts': `import { viewer } from '../auth/viewer.js';\nexport const an = viewer;\n`,
};

describe('layer rules (dependency-cruiser)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'steeple-layers-'));
    for (const [file, text] of Object.entries(FIXTURE)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    // the fixture's npm imports (graphql, twilio) resolve to the project's packages
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports each planted violation, and nothing for the allowed imports beside them', () => {
    const args = ['src', 'worker', '--config', MAIN];
    expect(rows(cruise(dir, args))).toEqual([
      'api-not-to-twilio: src/sms/client.ts -> node_modules/twilio/lib/index.js',
      'api-not-to-worker: src/api-to-worker.ts -> worker/clean.ts',
      'db-not-to-modules: src/db/seed.ts -> src/modules/a/a.queries.ts',
      'no-circular: src/lib/p.ts -> src/lib/q.ts',
      'services-not-to-graphql: src/modules/a/a.service.ts -> src/graphql/context.ts',
      'worker-not-to-api: worker/http.ts -> src/http/app.ts',
      'worker-not-to-api: worker/main.ts -> node_modules/graphql/index.mjs',
    ]);
    expect(lintStatus(dir, args).status).toBe(7); // one per error: what fails `npm run lint`
  }, 60_000);

  it('reports cycles between module folders, and not a dependency in one direction', () => {
    const args = ['src/modules', '--config', MODULES];
    expect(rows(cruise(dir, args))).toEqual([
      'no-module-folder-cycles: src/modules/analytics -> src/modules/auth',
      'no-module-folder-cycles: src/modules/auth -> src/modules/analytics',
      'no-module-folder-cycles: src/modules/x -> src/modules/y',
      'no-module-folder-cycles: src/modules/y -> src/modules/x',
    ]);
    expect(lintStatus(dir, args).status).toBe(4);
  }, 60_000);

  it('passes on the real tree', () => {
    // exactly the commands of `npm run lint` after eslint
    const main = lintStatus(ROOT, ['src', 'worker', '--config', MAIN]);
    expect(main.output).toMatch(/no dependency violations found/);
    expect(main.status).toBe(0);
    const modules = lintStatus(ROOT, ['src/modules', '--config', MODULES]);
    expect(modules.output).toMatch(/no dependency violations found/);
    expect(modules.status).toBe(0);
  }, 60_000);
});
