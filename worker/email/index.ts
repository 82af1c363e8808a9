import type { Config } from '../../src/config/env.js';
import type { Logger } from '../../src/lib/logger.js';
import { createLogTransport } from './log.js';
import { createSmtpTransport } from './smtp.js';
import type { EmailTransport } from './transport.js';

/** SMTP_URL set: nodemailer over SMTP; unset (development): the log transport. */
export function createEmailTransport(config: Config, log: Logger): EmailTransport {
  return config.email.smtpUrl ? createSmtpTransport(config.email.smtpUrl, config.sms.sendTimeoutMs) : createLogTransport(log);
}
