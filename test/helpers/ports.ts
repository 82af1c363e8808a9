import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The kernel's ephemeral range starts here: ports it hands to `listen(0)` and outgoing connections. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const free = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/**
 * `n` consecutive ports nothing listens on, below the ephemeral range, for a process that is told its
 * ports before it starts (npm start's API, embedded PostgreSQL and redis-server). A fixed port inside
 * the ephemeral range can be taken meanwhile by any other test's `listen(0)` — redis-server then
 * exits on EADDRINUSE. Starts at an offset from the pid so parallel test files rarely probe the same
 * block, and moves on past any block with a port in use.
 */
export async function freePortRun(n: number): Promise<number> {
  const lo = 10_000;
  const span = ephemeralLow() - lo - n;
  for (let i = 0, start = (process.pid * 7) % span; i < 200; i++, start = (start + 97) % span) {
    const base = lo + start;
    let ok = true;
    for (let p = base; p < base + n && ok; p++) ok = await free(p);
    if (ok) return base;
  }
  throw new Error(`no ${n} consecutive free ports below ${ephemeralLow()}`);
}
