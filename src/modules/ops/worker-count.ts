import { hostname } from 'node:os';

/**
 * How queueMetrics counts workers: one per worker *process*. BullMQ's getWorkers lists Redis
 * connections named after the queue (`<prefix>:<queue>`, or `<prefix>:<queue>:w:<worker name>`), and
 * one process can hold several (a reconnect, more than one Worker). Each worker process names its
 * Workers after itself (host:pid), so distinct names are distinct processes; a connection without
 * a name (a worker of an older release) counts as one process each.
 */
export function workerProcessName(given?: string): string {
  // CLIENT SETNAME refuses spaces and newlines
  return (given ?? `${hostname()}:${process.pid}`).replace(/[^A-Za-z0-9._:@/-]/g, '_').slice(0, 200);
}

export function countWorkerProcesses(connections: ReadonlyArray<{ rawname?: string }>): number {
  const named = new Set<string>();
  let unnamed = 0;
  for (const c of connections) {
    const i = c.rawname?.indexOf(':w:') ?? -1;
    if (c.rawname && i >= 0) named.add(c.rawname.slice(i + 3));
    else unnamed++;
  }
  return named.size + unnamed;
}
