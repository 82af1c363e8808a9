import { spawn, type ChildProcess } from 'node:child_process';
import { watchOutput } from './processes.js';
import { freePort, TEST_REDIS_URL } from './server.js';

/** `npm start` as a child process (node --import tsx src/main.ts), its output kept and parsed. */
export interface MainProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** everything written to stdout and stderr so far */
  output(): string;
  /** the pino JSON lines so far (other lines skipped) */
  lines(): Array<Record<string, any>>;
  /** resolves when the output matches (or rejects after ms, or when the process exits first) */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the process group if it is still there (afterAll) */
  kill(): void;
}

export interface MainOptions {
  args?: string[];
  env: Record<string, string>;
  /** its own process group, so a test can signal the group as a terminal or a service manager does */
  detached?: boolean;
}

export async function startMain(opts: MainOptions): Promise<MainProcess> {
  const port = Number(opts.env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...(opts.args ?? [])], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      REDIS_URL: TEST_REDIS_URL,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'info',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      ...opts.env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const watched = watchOutput(child);
  const out = watched.output;
  const waitFor = async (pattern: RegExp, ms = 60_000) => {
    await watched.waitFor(pattern, ms);
  };

  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: out,
    lines: () =>
      out()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, any>;
          } catch {
            return { unparsed: l };
          }
        }),
    waitFor,
    exited,
    kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        if (opts.detached) process.kill(-child.pid!, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // gone meanwhile
      }
    },
  };
}
