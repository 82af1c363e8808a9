import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobDefinition } from './definition.js';
import { sendEmailJob } from './definitions/send-email.js';
import { sendSmsJob } from './definitions/send-sms.js';

/** Every job definition: the worker refuses to start unless each has a handler. */
export const JOB_DEFINITIONS: ReadonlyArray<JobDefinition<any>> = [sendSmsJob, sendEmailJob];

/** BullMQ keys live under the app's Redis prefix (BullMQ's own prefix option, not ioredis keyPrefix). */
export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}bull`;
}

/**
 * A connection for BullMQ. Workers need maxRetriesPerRequest null (blocking commands); producers
 * in the API fail fast instead (enableOfflineQueue off) so a Redis outage cannot hang a mutation.
 */
export function bullConnection(url: string, role: 'worker' | 'producer'): Redis {
  return role === 'worker'
    ? new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: false })
    : new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
}

export function createQueue(name: string, connection: ConnectionOptions, keyPrefix: string): Queue {
  return new Queue(name, { connection, prefix: bullPrefix(keyPrefix) });
}
