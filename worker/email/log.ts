import type { Logger } from '../../src/lib/logger.js';
import type { EmailTransport, OutgoingEmail } from './transport.js';

/**
 * No SMTP_URL (development): every email is written to the log, with its unsubscribe link, and
 * accepted, through the same hand-over as SMTP, so the worker's rules are the same. Nothing leaves
 * the machine.
 */
export function createLogTransport(log: Logger): EmailTransport {
  return {
    name: 'log',
    async send(mail: OutgoingEmail, beforeHandOver: () => Promise<void>) {
      await beforeHandOver();
      log.info(
        { to: mail.to, from: mail.from.address, fromName: mail.from.name, replyTo: mail.replyTo ?? null, subject: mail.subject, messageId: mail.messageId, unsubscribe: mail.unsubscribeUrl, body: mail.text },
        'email (log transport)',
      );
      return { response: '250 logged' };
    },
    async close() {},
  };
}
