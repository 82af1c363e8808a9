import type { Job } from 'bullmq';
import type { JobDefinition } from '../src/jobs/definition.js';

export type Handler = (job: Job, token?: string) => Promise<unknown>;

/** Pairs every job definition with its handler; refuses to start when one is missing. */
export function buildRegistry(definitions: ReadonlyArray<JobDefinition<any>>, handlers: Record<string, Handler>) {
  const missing = definitions.filter((d) => !handlers[d.name]).map((d) => d.name);
  if (missing.length) throw new Error(`no handler for job definition(s): ${missing.join(', ')}; the worker will not start`);
  const unknown = Object.keys(handlers).filter((n) => !definitions.some((d) => d.name === n));
  if (unknown.length) throw new Error(`handler(s) without a job definition: ${unknown.join(', ')}`);
  const queues = [...new Set(definitions.map((d) => d.queue))];
  return {
    queues,
    processorFor(queue: string): Handler {
      const names = new Set(definitions.filter((d) => d.queue === queue).map((d) => d.name));
      return async (job, token) => {
        if (!names.has(job.name)) throw new Error(`job ${job.name} does not belong to queue ${queue}`);
        return handlers[job.name]!(job, token);
      };
    },
  };
}
