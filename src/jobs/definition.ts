import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';

/** A job is a definition (here, shared by API and worker) plus a handler (worker/handlers). */
export interface JobDefinition<P> {
  name: string;
  queue: string;
  payload: z.ZodType<P>;
  options: JobsOptions;
  jobId(payload: P): string;
}

export function defineJob<P>(def: JobDefinition<P>): JobDefinition<P> {
  return def;
}
