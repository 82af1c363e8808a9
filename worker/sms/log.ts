import { randomBytes } from 'node:crypto';
import type { Logger } from '../../src/lib/logger.js';
import type { OutgoingSms, ProviderMessage, SmsProvider } from './provider.js';

/**
 * SMS_PROVIDER=log, the default for development: every text is written to the log and reported
 * delivered shortly after, as a real provider's callback would. Nothing leaves the machine.
 */
export function createLogProvider(log: Logger, onDelivered: (sid: string) => void, delayMs = 50): SmsProvider {
  return {
    name: 'log',
    async send(sms: OutgoingSms): Promise<ProviderMessage> {
      const sid = `LG${randomBytes(16).toString('hex')}`;
      log.info({ sid, to: sms.to, from: sms.from, body: sms.body }, 'sms (log provider)');
      setTimeout(() => onDelivered(sid), delayMs).unref();
      return { sid, status: 'queued' };
    },
    // the log provider answers every send, so an earlier attempt's outcome is never unknown
    async findSent() {
      return null;
    },
  };
}
