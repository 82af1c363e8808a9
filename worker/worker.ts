import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../src/config/env.js';
import { createDatabase } from '../src/db/client.js';
import { JOB_DEFINITIONS, bullConnection, bullPrefix, createQueue } from '../src/jobs/queues.js';
import { sendSmsJob } from '../src/jobs/definitions/send-sms.js';
import type { Logger } from '../src/lib/logger.js';
import { parseWindow } from '../src/modules/message/quiet-hours.js';
import { settleProgress } from '../src/modules/message/progress.js';
import { batchedStatusWriter } from '../src/modules/message/delivery.service.js';
import { ProgressPublisher } from '../src/realtime/publisher.js';
import { channelPrefix } from '../src/realtime/topics.js';
import { invalidateMessagingEvents, invalidatePeople } from '../src/cache/invalidate.js';
import { RedisTagStore } from '../src/cache/tag-store.js';
import { createSendSmsHandler } from './handlers/send-sms.handler.js';
import { createSendEmailHandler } from './handlers/send-email.handler.js';
import { sendEmailJob } from '../src/jobs/definitions/send-email.js';
import { createEmailTransport } from './email/index.js';
import { buildRegistry } from './registry.js';
import { createLogProvider, logDeliveryRecorder } from './sms/log.js';
import type { SmsProvider } from './sms/provider.js';
import { sweep } from './sweeper.js';
import { workerProcessName } from '../src/modules/ops/worker-count.js';
import { systemClock } from '../src/lib/clock.js';
import { createReconciler, type ReconcileStats } from './reconciler.js';
import { createPartitionMaintenance } from './partitions.js';
import type { MaintenanceResult } from '../src/db/partitions.js';

export interface RunningWorker {
  /** finishes active jobs (up to the grace period), then closes every connection */
  close(): Promise<void>;
  /** runs one sweep now (tests) */
  sweepNow(): Promise<number>;
  /** asks the provider about texts still SENT now, as the reconciler's timer does (tests) */
  reconcileNow(): Promise<ReconcileStats>;
  /** message_recipients' months, as the maintenance timer does (worker/partitions.ts; tests); null: another worker's turn */
  maintainPartitionsNow(now?: Date): Promise<MaintenanceResult | null>;
  workers: Worker[];
  /** this process's name on its BullMQ connections (queueMetrics.workers counts distinct names) */
  name: string;
}

/**
 * The SMS (and email) worker: drains the BullMQ queue (concurrency and a rate limit from config) and sweeps
 * the outbox for texts the queue lost. Used by worker/main.ts and by tests.
 */
export async function startWorker(
  config: Config,
  log: Logger,
  urls: { db: string; redis: string },
  /** processName: defaults to host:pid (tests running two "processes" in one give their own) */
  opts: { processName?: string } = {},
): Promise<RunningWorker> {
  const name = workerProcessName(opts.processName);
  // the API's per-process pool is small (DB_POOL_MAX); the worker's concurrent sends need more, up to 10
  const database = createDatabase(urls.db, { ...config.db.pool, max: Math.min(config.sms.concurrency + 2, Math.max(config.db.pool.max, 10)) }, log, 'steeple-worker');
  const publisher = new Redis(urls.redis, { maxRetriesPerRequest: 2 });
  publisher.on('error', (e) => log.warn({ err: e.message }, 'redis error'));
  // the same channels the API subscribes to (prefix and db number: see realtime/topics.ts)
  const progress = new ProgressPublisher((ids) => settleProgress(database.db, ids), publisher, channelPrefix(config.redis.keyPrefix, urls.redis), log);
  // deliveries change the dashboard's messaging figures: drop them as progress is published
  const cache = config.cache.enabled
    ? new RedisTagStore(config.cache.url ?? urls.redis, `${config.redis.keyPrefix}rc:`, log, config.cache.timeoutMs)
    : null;
  progress.onFlush.push((events) => invalidateMessagingEvents(cache, events));

  const connection = bullConnection(urls.redis, 'worker');
  connection.on('error', (e) => log.warn({ err: e.message }, 'queue redis error'));
  // the producer side too: the sweeper re-adds lost jobs, deliveries may ask for another round
  const queue = createQueue(sendSmsJob.queue, connection, config.redis.keyPrefix);

  let provider: SmsProvider;
  if (config.sms.provider === 'twilio') {
    const { createTwilioProvider } = await import('./sms/twilio.js');
    provider = createTwilioProvider({ ...config.sms.twilio!, timeoutMs: config.sms.sendTimeoutMs });
  } else {
    const report = logDeliveryRecorder({ db: database.db, smsQueue: queue, progress, log, clock: systemClock, statusWriter: batchedStatusWriter(database.db) });
    provider = createLogProvider(log, (sid, tag) => void report(sid, tag));
  }

  const emailTransport = createEmailTransport(config, log);
  const registry = buildRegistry(JOB_DEFINITIONS, {
    [sendEmailJob.name]: createSendEmailHandler({
      db: database.db,
      transport: emailTransport,
      progress,
      log,
      leaseS: config.sms.leaseS,
      publicUrl: config.publicUrl,
      unsubscribeSecret: config.email.unsubscribeSecret,
    }),
    [sendSmsJob.name]: createSendSmsHandler({
      db: database.db,
      provider,
      progress,
      log,
      window: parseWindow(config.sms.window.start, config.sms.window.end),
      leaseS: config.sms.leaseS,
      statusCallback: config.sms.provider === 'twilio' ? `${config.publicUrl}/webhooks/twilio/status` : undefined,
      onOptOut: (churchId) => invalidatePeople(cache, churchId),
    }),
  });

  const workers = registry.queues.map((queue) => {
    const w = new Worker(queue, registry.processorFor(queue), {
      // names the connection (CLIENT SETNAME …:w:<name>): one process is one worker, however many
      // connections it opens
      name,
      connection,
      prefix: bullPrefix(config.redis.keyPrefix),
      concurrency: config.sms.concurrency,
      limiter: { max: config.sms.ratePerSecond, duration: 1000 },
      // a killed worker's job returns to the queue after its lock expires; the recipient lease
      // (same length) keeps the next worker from sending before it has asked the provider
      lockDuration: config.sms.leaseS * 1000,
      stalledInterval: Math.min(config.sms.leaseS * 1000, 15_000),
      maxStalledCount: 1000,
    });
    w.on('failed', (job, err) => log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job attempt failed'));
    w.on('error', (err) => log.warn({ err: err.message }, 'worker error'));
    return w;
  });

  let sweeping: Promise<unknown> = Promise.resolve();
  const sweepNow = () => sweep(database.db, queue, log, config.sms.sweepIntervalS);
  const sweeper = setInterval(() => {
    sweeping = sweepNow().catch((e) => log.warn({ err: (e as Error).message }, 'sweep failed'));
  }, config.sms.sweepIntervalS * 1000);

  // texts whose status callbacks never came: asked about at the provider (worker/reconciler.ts)
  const reconciler = createReconciler({
    db: database.db,
    provider,
    log,
    queue,
    touched: (messageId) => progress.touch(messageId),
    settings: { ...config.sms.reconcile, requestTimeoutMs: config.sms.sendTimeoutMs },
  });
  // one run at a time per process: a tick that finds one still going joins it
  let reconciling: Promise<ReconcileStats> | null = null;
  const reconcileNow = () => (reconciling ??= reconciler.runOnce().finally(() => (reconciling = null)));
  const reconcileTimer = setInterval(
    () => void reconcileNow().catch((e) => log.warn({ err: (e as Error).message }, 'reconcile failed')),
    config.sms.reconcile.intervalS * 1000,
  );
  // message_recipients' months ahead and past the retention: at the start, then on a timer
  const partitions = createPartitionMaintenance({
    url: config.db.directUrl ?? urls.db,
    settings: config.db.partitions,
    redis: publisher,
    lockKey: `${config.redis.keyPrefix}partitions:lock`,
    log,
  });
  const maintain = () => void partitions.runOnce().catch((e) => log.warn({ err: (e as Error).message }, 'partition maintenance failed'));
  maintain();
  const maintenanceTimer = setInterval(maintain, config.db.partitions.intervalS * 1000);
  // last: everything it announces is running (worker/main.ts handles signals from before the start)
  log.info({ name, queues: registry.queues, provider: provider.name, email: emailTransport.name, concurrency: config.sms.concurrency }, 'SMS worker ready');

  return {
    workers,
    name,
    sweepNow,
    reconcileNow,
    maintainPartitionsNow: (now) => partitions.runOnce(now),
    async close() {
      clearInterval(sweeper);
      clearInterval(reconcileTimer);
      clearInterval(maintenanceTimer);
      reconciler.stop();
      await Promise.race([
        Promise.all(workers.map((w) => w.close())),
        new Promise((r) => setTimeout(r, config.http.shutdownGraceMs)).then(() => Promise.all(workers.map((w) => w.close(true)))),
      ]);
      await sweeping;
      await reconciling?.catch(() => undefined);
      await partitions.idle();
      await progress.close();
      await emailTransport.close();
      await queue.close();
      connection.disconnect();
      publisher.disconnect();
      await cache?.close();
      await database.close();
    },
  };
}
