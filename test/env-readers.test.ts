import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The README says src/config is the only reader of process.env (tests and bench aside): anything
// else that needs a setting takes it from the Config, so every variable is validated and listed.
// Passing the whole environment on to a child process is not reading it.
const root = path.resolve(import.meta.dirname, '..');
const PASS_ON = /\{\s*\.\.\.process\.env\b/g;

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

describe('who reads process.env', () => {
  it('is only src/config among the application sources', () => {
    const readers = [...sources('src'), ...sources('worker')]
      .filter((f) => !f.startsWith(`src${path.sep}config${path.sep}`))
      .filter((f) => /process\.env\b/.test(readFileSync(path.join(root, f), 'utf8').replace(PASS_ON, '{')));
    expect(readers).toEqual([]);
  });
});
