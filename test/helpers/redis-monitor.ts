import net from 'node:net';

/**
 * MONITOR over a plain socket: the commands Redis executes, as argument lists. (ioredis' monitor()
 * throws "Command queue state error" when monitor lines share a packet with MONITOR's OK, which a
 * busy Redis — other test files use it — does now and then.)
 */
export async function redisMonitor(url: string, onCommand: (args: string[]) => void): Promise<{ close(): void }> {
  const u = new URL(url);
  const socket = net.connect(Number(u.port || 6379), u.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  let buffered = '';
  let ready!: () => void;
  const monitoring = new Promise<void>((r) => (ready = r));
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let i: number;
    while ((i = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 2);
      if (line === '+OK') ready();
      else if (line.startsWith('+')) onCommand(parseArgs(line));
    }
  });
  socket.write('MONITOR\r\n');
  await monitoring;
  return { close: () => socket.destroy() };
}

/** `+1700000000.123456 [15 127.0.0.1:5000] "set" "k" "v \"q\""` → ['set', 'k', 'v "q"'] */
function parseArgs(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
  return out;
}
