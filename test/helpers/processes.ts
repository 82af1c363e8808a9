import { spawn, type ChildProcess } from 'node:child_process';

/** The environment of a spawned Steeple process: this one's, minus what would point it elsewhere. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'REDIS_CACHE_URL', 'PORT', 'STEEPLE_ENV_FILE', 'LOG_LEVEL']) delete env[k];
  return { ...env, ...extra };
}

export interface Spawned {
  child: ChildProcess;
  /** everything written to stdout and stderr so far */
  output(): string;
  /** resolves with the first match of pattern in the output; rejects on exit or after ms */
  waitFor(pattern: RegExp, ms: number): Promise<RegExpExecArray>;
  /** resolves with the exit code */
  exited: Promise<number | null>;
}

/** What a spawned process writes, kept, and a wait for a pattern in it (rejects on exit or after ms). */
export function watchOutput(child: ChildProcess): { output(): string; waitFor(pattern: RegExp, ms: number): Promise<RegExpExecArray> } {
  let out = '';
  const listeners = new Set<() => void>();
  let dead = false;
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', () => {
    dead = true;
    for (const l of [...listeners]) l();
  });
  return {
    output: () => out,
    waitFor: (pattern, ms) =>
      new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`));
        }, ms);
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            done();
            resolve(m);
          } else if (dead) {
            done();
            reject(new Error(`exited with ${child.exitCode ?? child.signalCode} before ${pattern}; output:\n${out}`));
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

/** `node --import tsx <entry> ...args` from the repository root, like the npm scripts. */
export function spawnTs(entry: string, args: string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, ...watchOutput(child) };
}

/** Runs to completion; resolves with the exit code and output. */
export async function runTs(entry: string, args: string[], env: NodeJS.ProcessEnv, ms = 60_000): Promise<{ code: number | null; output: string }> {
  const p = spawnTs(entry, args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
}

/** SIGTERM, then the exit code (SIGKILL after ms). */
export async function stop(p: Spawned, ms = 20_000): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}
