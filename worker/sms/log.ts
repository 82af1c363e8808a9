import { randomBytes } from 'node:crypto';
import type { Logger } from '../../src/lib/logger.js';
import { recordProviderReport, type DeliveryScope } from '../../src/modules/message/delivery.service.js';
import type { CallbackTag } from '../../src/sms/callback-tag.js';
import type { OutgoingSms, ProviderMessage, SmsProvider } from './provider.js';

const LOG_RECORD_MAX = 100_000;

/** When the delivery report is made; tests pass one that reports at once, before send() returns. */
export type ReportScheduler = (report: () => void, delayMs: number) => void;

const afterDelay: ReportScheduler = (report, delayMs) => void setTimeout(report, delayMs).unref();

/**
 * SMS_PROVIDER=log, the default for development: every text is written to the log and reported
 * delivered shortly after, as a real provider's callback would. Nothing leaves the machine.
 *
 * Like a real provider's callback, the report can come before the worker has recorded the text's
 * id. It hands back the text's tag (recipient, attempt, episode) so the report is matched by the
 * same rule as Twilio's (applyProviderStatus), and applied rather than lost.
 */
export function createLogProvider(
  log: Logger,
  onDelivered: (sid: string, tag: CallbackTag | undefined) => void,
  delayMs = 50,
  schedule: ReportScheduler = afterDelay,
): SmsProvider {
  // what it "sent", for fetchStatus: the newest texts of this process (a restart forgets them, as
  // a provider that lost a record would; the reconciler then ends them UNCONFIRMED at its horizon)
  const record = new Map<string, string>();
  const remember = (sid: string, status: string) => {
    record.delete(sid);
    record.set(sid, status);
    if (record.size > LOG_RECORD_MAX) record.delete(record.keys().next().value!);
  };
  return {
    name: 'log',
    async send(sms: OutgoingSms): Promise<ProviderMessage> {
      const sid = `LG${randomBytes(16).toString('hex')}`;
      log.info({ sid, to: sms.to, from: sms.from, body: sms.body }, 'sms (log provider)');
      remember(sid, 'queued');
      schedule(() => {
        if (record.has(sid)) remember(sid, 'delivered');
        onDelivered(sid, sms.tag);
      }, delayMs);
      return { sid, status: 'queued' };
    },
    // the log provider answers every send, so an earlier attempt's outcome is never unknown
    async findSent() {
      return null;
    },
    async fetchStatus(sid: string) {
      const status = record.get(sid);
      return status ? { sid, status, errorCode: null } : null;
    },
  };
}

/**
 * What the worker does with the log provider's report: the Twilio status webhook's rule
 * (applyProviderStatus with the text's tag). A report that finds no row is said out loud: it means
 * a recipient stays SENT until the reconciler gives up on it.
 */
export function logDeliveryRecorder(delivery: DeliveryScope) {
  const log = delivery.log;
  return async (sid: string, tag: CallbackTag | undefined): Promise<void> => {
    try {
      const u = await recordProviderReport(delivery, { sid, outcome: 'delivered', word: 'delivered', errorCode: null, tag });
      if (!u) log.warn({ sid, recipientId: tag?.recipientId }, 'log provider: delivery report matched no recipient');
    } catch (e) {
      log.warn({ err: e }, 'could not record delivery');
    }
  };
}
