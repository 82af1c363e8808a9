import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob } from '../src/jobs/definition.js';
import { JOB_DEFINITIONS } from '../src/jobs/queues.js';
import { sendEmailJob } from '../src/jobs/definitions/send-email.js';
import { sendSmsJob } from '../src/jobs/definitions/send-sms.js';
import { buildRegistry } from '../worker/registry.js';

describe('job registry', () => {
  const extra = defineJob({ name: 'export-csv', queue: 'exports', payload: z.object({ id: z.number() }), options: {}, jobId: (p) => `csv-${p.id}` });

  it('refuses to start when a job definition has no handler', () => {
    const both = { [sendSmsJob.name]: async () => 'ok', [sendEmailJob.name]: async () => 'ok' };
    expect(() => buildRegistry([...JOB_DEFINITIONS, extra], both)).toThrow(/no handler for job definition\(s\): export-csv/);
    expect(() => buildRegistry(JOB_DEFINITIONS, {})).toThrow(/send-sms, send-email/);
    // the email handler is as required as the text's
    expect(() => buildRegistry(JOB_DEFINITIONS, { [sendSmsJob.name]: async () => 'ok' })).toThrow(/no handler for job definition\(s\): send-email/);
  });

  it('refuses a handler without a definition, and dispatches by job name within its queue', async () => {
    expect(() => buildRegistry(JOB_DEFINITIONS, { [sendSmsJob.name]: async () => 'ok', [sendEmailJob.name]: async () => 'ok', stray: async () => 'x' })).toThrow(
      /without a job definition: stray/,
    );
    const r = buildRegistry(JOB_DEFINITIONS, { [sendSmsJob.name]: async () => 'sent', [sendEmailJob.name]: async () => 'emailed' });
    // texts and emails share one queue (one worker, one sweeper, one pause switch)
    expect(r.queues).toEqual(['sms']);
    const run = r.processorFor('sms');
    await expect(run({ name: 'send-sms' } as never)).resolves.toBe('sent');
    await expect(run({ name: 'send-email' } as never)).resolves.toBe('emailed');
    await expect(run({ name: 'export-csv' } as never)).rejects.toThrow(/does not belong/);
  });

  it('the send-sms contract: 3 attempts, exponential backoff from 2 s, deterministic ids per recipient round', () => {
    expect(sendSmsJob.options).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 2000 } });
    expect(sendSmsJob.jobId({ recipientId: 7, messageId: 1, churchId: 1, round: 0 })).toBe('sms-7-0');
    expect(sendSmsJob.jobId({ recipientId: 7, messageId: 2, churchId: 1, round: 1 })).toBe('sms-7-1');
    expect(() => sendSmsJob.payload.parse({ recipientId: -1, messageId: 1, churchId: 1, round: 0 })).toThrow();
    // the email's: the same options, its own ids (a recipient row is one channel or the other)
    expect(sendEmailJob.options).toEqual(sendSmsJob.options);
    expect(sendEmailJob.jobId({ recipientId: 7, messageId: 1, churchId: 1, round: 0 })).toBe('email-7-0');
  });
});
