import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob } from '../src/jobs/definition.js';
import { JOB_DEFINITIONS } from '../src/jobs/queues.js';
import { sendSmsJob } from '../src/jobs/definitions/send-sms.js';
import { buildRegistry } from '../worker/registry.js';

describe('job registry', () => {
  const extra = defineJob({ name: 'export-csv', queue: 'exports', payload: z.object({ id: z.number() }), options: {}, jobId: (p) => `csv-${p.id}` });

  it('refuses to start when a job definition has no handler', () => {
    expect(() => buildRegistry([...JOB_DEFINITIONS, extra], { [sendSmsJob.name]: async () => 'ok' })).toThrow(/no handler for job definition\(s\): export-csv/);
    expect(() => buildRegistry(JOB_DEFINITIONS, {})).toThrow(/send-sms/);
  });

  it('refuses a handler without a definition, and dispatches by job name within its queue', async () => {
    expect(() => buildRegistry(JOB_DEFINITIONS, { [sendSmsJob.name]: async () => 'ok', stray: async () => 'x' })).toThrow(/without a job definition: stray/);
    const r = buildRegistry(JOB_DEFINITIONS, { [sendSmsJob.name]: async () => 'sent' });
    expect(r.queues).toEqual(['sms']);
    const run = r.processorFor('sms');
    await expect(run({ name: 'send-sms' } as never)).resolves.toBe('sent');
    await expect(run({ name: 'export-csv' } as never)).rejects.toThrow(/does not belong/);
  });

  it('the send-sms contract: 3 attempts, exponential backoff from 2 s, deterministic ids per recipient round', () => {
    expect(sendSmsJob.options).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 2000 } });
    expect(sendSmsJob.jobId({ recipientId: 7, messageId: 1, churchId: 1, round: 0 })).toBe('sms-7-0');
    expect(sendSmsJob.jobId({ recipientId: 7, messageId: 2, churchId: 1, round: 1 })).toBe('sms-7-1');
    expect(() => sendSmsJob.payload.parse({ recipientId: -1, messageId: 1, churchId: 1, round: 0 })).toThrow();
  });
});
