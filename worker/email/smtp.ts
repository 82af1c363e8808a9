import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import { composeRaw } from './compose.js';
import { EmailSendError, type EmailTransport, type OutgoingEmail } from './transport.js';

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/**
 * EMAIL over SMTP with nodemailer, configured by SMTP_URL (smtp://user:pass@host:587, smtps://…;
 * nodemailer reads its options from the query too: ?pool=true&maxConnections=5&rateLimit=10).
 *
 * The message goes as a prepared stream whose end is held until `beforeHandOver` has resolved:
 * nodemailer reads the stream only once DATA has been answered 354, and writes the final dot only
 * when the stream ends. So the worker knows, for every failure, whether the server could have
 * accepted the message: before the hand-over, never (an SMTP transaction without its final dot is
 * discarded); after it, only the server's answer says.
 */
export function createSmtpTransport(url: string, timeoutMs: number): EmailTransport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    name: 'smtp',
    async send(mail: OutgoingEmail, beforeHandOver: () => Promise<void>) {
      const raw = await composeRaw(mail);
      let handedOver = false;
      let started = false;
      // the worker's own refusal (the row is no longer ours): its error, not the transport's
      let refused: unknown = null;
      const stream = new Readable({
        read() {
          if (started) return;
          started = true;
          this.push(raw);
          beforeHandOver().then(
            () => {
              handedOver = true;
              this.push(null);
            },
            (e: unknown) => {
              refused = e;
              this.destroy(e as Error);
            },
          );
        },
      });
      try {
        const info = await transporter.sendMail({ envelope: { from: mail.from.address, to: [mail.to] }, raw: stream });
        return { response: String(info.response ?? '250') };
      } catch (e) {
        stream.destroy();
        if (refused) throw refused;
        throw classify(e as SmtpError, handedOver);
      }
    },
    async close() {
      transporter.close();
    },
  };
}

function classify(e: SmtpError, handedOver: boolean): EmailSendError {
  if (e instanceof EmailSendError) return e;
  const code = e.responseCode ? String(e.responseCode) : (e.code ?? null);
  const message = (e.response ?? e.message).slice(0, 500);
  // an answer from the server is definitive wherever it came: 5xx never, 4xx not now
  if (e.responseCode && e.responseCode >= 500) return new EmailSendError('permanent', message, code);
  if (e.responseCode && e.responseCode >= 400) return new EmailSendError('retry', message, code);
  return new EmailSendError(handedOver ? 'unknown' : 'retry', message, code);
}
