import { z } from 'zod';
import { defineJob } from '../definition.js';

/**
 * One text to one recipient. The id is deterministic per (recipient, attempt round), so adding the
 * same job twice (the API after commit, then the sweeper) never creates a second job.
 */
export const sendSmsJob = defineJob({
  name: 'send-sms',
  queue: 'sms',
  payload: z.object({
    recipientId: z.number().int().positive(),
    messageId: z.number().int().positive(),
    churchId: z.number().int().positive(),
    /** the recipient's attempts count when this job was made (0 for the first) */
    round: z.number().int().min(0),
  }),
  options: {
    attempts: 3,
    // about 0 s, 2 s, 6 s
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: { age: 3600, count: 20_000 },
    removeOnFail: { age: 7 * 86_400, count: 100_000 },
  },
  jobId: (p) => `sms-${p.recipientId}-${p.round}`,
});

export type SendSmsPayload = z.infer<typeof sendSmsJob.payload>;
