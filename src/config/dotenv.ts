import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

/**
 * The `.env` beside package.json, loaded into process.env before the configuration is parsed
 * (server, cluster processes, SMS worker, CLIs: every caller of loadConfig()). Node's own parser
 * (util.parseEnv, the one behind --env-file) reads the values; the real environment wins over the
 * file, like `node --env-file-if-exists`. Node skips lines it cannot read without a word, so the
 * file is checked first and a malformed line stops the start, naming its line. A missing file is
 * fine. STEEPLE_ENV_FILE names another file (tests; several checkouts sharing one).
 */
export class DotEnvError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'DotEnvError';
  }
}

const ASSIGNMENT = /^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=(.*)$/;

/** Problems of a .env text, one per bad line (empty when Node's parser reads all of it). */
export function dotEnvProblems(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = ASSIGNMENT.exec(line);
    if (!m) {
      problems.push(`line ${i + 1}: expected NAME=value, got "${line.length > 40 ? `${line.slice(0, 40)}…` : line}"`);
      continue;
    }
    const value = m[1]!.trim();
    const quote = value[0];
    if (quote !== '"' && quote !== "'" && quote !== '`') continue;
    // a quoted value may span lines: it ends at the next line holding the same quote
    if (value.indexOf(quote, 1) !== -1) continue;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.includes(quote)) end++;
    if (end === lines.length) {
      problems.push(`line ${i + 1}: the value opened with ${quote} is never closed`);
      break;
    }
    i = end;
  }
  return problems;
}

/** The directory of package.json (the project root), whether run from src/ or dist/. */
export function packageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** The file loadDotEnv reads. */
export function dotEnvPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.STEEPLE_ENV_FILE ? path.resolve(env.STEEPLE_ENV_FILE) : path.join(packageDir(), '.env');
}

/** Loads the file into env (variables already set stay as they are); returns the names it set. */
export function loadDotEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = dotEnvPath(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DotEnvError(file, [(e as Error).message]);
  }
  const problems = dotEnvProblems(text);
  if (problems.length) throw new DotEnvError(file, problems);
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
