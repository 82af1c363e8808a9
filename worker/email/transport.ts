/**
 * What the worker needs from a mail transport. Implementations: smtp.ts (nodemailer over SMTP,
 * SMTP_URL) and log.ts (development: the email goes to the log).
 */
export interface OutgoingEmail {
  /** the church's From name (emailFromName, else its name) as the display name, EMAIL_FROM as the address */
  from: { name: string; address: string };
  to: string;
  /** the church's Reply-To (updateChurch emailReplyTo); none: replies go to From */
  replyTo?: string | null;
  subject: string;
  text: string;
  html: string;
  /** `<…@…>`: deterministic per recipient and sending episode; bounces name it */
  messageId: string;
  /** the one-click unsubscribe URL (List-Unsubscribe, RFC 8058) */
  unsubscribeUrl: string;
}

/** How a failed send must be treated. */
export type EmailErrorKind =
  /** the server did not take it, and may later (4xx, connection refused or dropped before the hand-over) */
  | 'retry'
  /** the server refused it for good (5xx) */
  | 'permanent'
  /** handed over (the final dot of DATA went) and no answer came: it may have been accepted */
  | 'unknown';

export class EmailSendError extends Error {
  constructor(
    readonly kind: EmailErrorKind,
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'EmailSendError';
  }
}

export interface EmailTransport {
  readonly name: string;
  /**
   * Sends one email. `beforeHandOver` is awaited after the server has agreed to take the message
   * (DATA answered 354) and before its end (the final dot, after which the server may accept it):
   * the worker records the hand-over there, and if it throws, the transaction is abandoned with
   * nothing sent. Resolves with the server's answer (250 …); throws EmailSendError (classified).
   */
  send(mail: OutgoingEmail, beforeHandOver: () => Promise<void>): Promise<{ response: string }>;
  close(): Promise<void>;
}
