import { defineJob } from '../definition.js';
import { sendSmsJob } from './send-sms.js';

/**
 * One email to one recipient: the text's contract (payload, attempts, backoff, retention) on the
 * same queue, so one worker, one sweeper, one pause switch and one list of failed jobs (ops) serve
 * both channels. The id is deterministic per (recipient, round), like the text's, with its own
 * prefix: a recipient row is one channel or the other, never both.
 */
export const sendEmailJob = defineJob({
  name: 'send-email',
  queue: sendSmsJob.queue,
  payload: sendSmsJob.payload,
  options: sendSmsJob.options,
  jobId: (p) => `email-${p.recipientId}-${p.round}`,
});

export type SendEmailPayload = import('zod').infer<typeof sendEmailJob.payload>;
