import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Db } from '../../src/db/client.js';
import { unsubscribeToken, unsubscribeUrl } from '../../src/email/unsubscribe-token.js';
import { sendEmailJob } from '../../src/jobs/definitions/send-email.js';
import { Batcher, byMessage, rowLevelSqlError } from '../../src/lib/batcher.js';
import type { Logger } from '../../src/lib/logger.js';
import * as e from '../../src/modules/message/email.queries.js';
import { renderEmail, type TemplateRenderer } from '../../src/modules/message/email-render.js';
import { markSkipped, recipientState } from '../../src/modules/message/recipient.queries.js';
import type { ProgressPublisher } from '../../src/realtime/publisher.js';
import { htmlBody, textBody } from '../email/compose.js';
import { EmailSendError, type EmailTransport } from '../email/transport.js';

export interface SendEmailDeps {
  db: Db;
  transport: EmailTransport;
  progress: ProgressPublisher;
  log: Logger;
  leaseS: number;
  /** where the unsubscribe links point (PUBLIC_URL) and the key that signs them */
  publicUrl: string;
  unsubscribeSecret: string;
  /** the per-recipient render of subject and body (merge fields); default: as written */
  render?: TemplateRenderer;
}

class LeaseLost extends Error {}

/**
 * Sends one email, exactly once, whatever happens to this process — the text's handler
 * (send-sms.handler.ts) with SMTP's one difference: a mail server cannot be asked whether it took
 * a message. So the moment it could have is recorded instead:
 * 1. claim the recipient (queued → sending, with a lease) in one UPDATE; no claim, no send;
 * 2. if an earlier attempt handed the message over and never heard back (killed, timed out), end
 *    it UNCONFIRMED: never sent again;
 * 3. open the SMTP transaction; once the server has agreed to take the message (DATA 354), record
 *    the hand-over (only while the lease is ours), then let the final dot go;
 * 4. record the server's 250 as DELIVERED. A crash before 3's record sends again (the server
 *    discarded the transaction); a crash after it is 2 next time.
 */
export function createSendEmailHandler(d: SendEmailDeps) {
  const writes = emailWrites(d.db, d.leaseS);
  return async (job: Job, token?: string): Promise<string> => {
    const p = sendEmailJob.payload.parse(job.data);
    const claim = await writes.claims.load({ id: p.recipientId, messageId: p.messageId });
    if (!claim) {
      const st = await recipientState(d.db, p.recipientId);
      if (st?.status === 'sending' && !st.cancelled && st.leaseUntil && st.leaseUntil.getTime() > Date.now()) {
        await job.moveToDelayed(st.leaseUntil.getTime() + 100, token);
        throw new DelayedError();
      }
      return `nothing to do (${st?.status ?? 'gone'})`;
    }
    d.progress.touch(claim.messageId);
    try {
      if (claim.blocked) {
        await markSkipped(d.db, claim.id, claim.blocked);
        return `skipped: ${claim.blocked} since the message was written`;
      }
      if (claim.handedOverAt) {
        await e.markUnconfirmed(d.db, claim.id, 'handed to the mail server, whose answer never came (the worker stopped or timed out); not sent again');
        d.log.warn({ recipientId: claim.id }, 'email handed over without an answer: unconfirmed, not sent again');
        return 'unconfirmed';
      }
      const { subject, body } = renderEmail(claim, { firstName: claim.firstName, lastName: claim.lastName, churchName: claim.churchName, custom: claim.custom }, d.render);
      const link = unsubscribeUrl(d.publicUrl, unsubscribeToken(d.unsubscribeSecret, { churchId: claim.churchId, memberId: claim.memberId, email: claim.email }));
      const messageId = `<e${claim.id}.${claim.episode}@${domainOf(claim.fromAddress)}>`;
      try {
        const sent = await d.transport.send(
          {
            from: { name: claim.fromName, address: claim.fromAddress },
            to: claim.email,
            replyTo: claim.replyTo,
            subject,
            text: textBody(body, claim.churchName, link),
            html: htmlBody(body, claim.churchName, link),
            messageId,
            unsubscribeUrl: link,
          },
          async () => {
            if (!(await e.markHandedOver(d.db, claim.id, claim.attempts, claim.messageId))) throw new LeaseLost('the recipient is no longer held by this attempt');
          },
        );
        await writes.accepted.load({ id: claim.id, messageId: claim.messageId, attempt: claim.attempts, sid: messageId, response: sent.response });
        return 'sent';
      } catch (err) {
        if (err instanceof LeaseLost || (err instanceof EmailSendError && err.cause instanceof LeaseLost)) return 'lease lost: another attempt has it';
        const se = err instanceof EmailSendError ? err : new EmailSendError('retry', (err as Error).message);
        const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        switch (se.kind) {
          case 'permanent':
            await e.failEmail(d.db, claim.id, claim.attempts, se.code, se.message);
            throw new UnrecoverableError(se.message);
          case 'unknown':
            await e.markUnconfirmed(d.db, claim.id, `handed to the mail server, no answer: ${se.message}`);
            return 'unconfirmed';
          case 'retry':
            if (last) await e.failEmail(d.db, claim.id, claim.attempts, se.code, se.message);
            else await e.releaseEmail(d.db, claim.id, claim.attempts, se.code, se.message);
            throw se;
        }
      }
    } finally {
      d.progress.touch(claim.messageId);
    }
  };
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1) || 'steeple.localhost';

/** The claims and the records of accepted emails, batched across the jobs running at once (as the texts'). */
export function emailWrites(db: Db, leaseS: number) {
  return {
    claims: new Batcher<{ id: number; messageId: number }, e.ClaimedEmail | null>(
      async (keys) => {
        const claimed = new Map<number, e.ClaimedEmail>();
        await Promise.all(
          [...byMessage(keys)].map(async ([messageId, ks]) => {
            for (const [id, c] of await e.claimEmailRecipients(db, ks.map((k) => k.id), leaseS, messageId)) claimed.set(id, c);
          }),
        );
        return keys.map((k) => claimed.get(k.id) ?? null);
      },
      { keys: (k) => [k.id] },
    ),
    accepted: new Batcher<e.AcceptedEmail, boolean>(
      async (records) => {
        const recorded = new Set<number>();
        await Promise.all([...byMessage(records)].map(async ([, rs]) => (await e.markEmailsAccepted(db, rs)).forEach((id) => recorded.add(id))));
        return records.map((r) => recorded.has(r.id));
      },
      { keys: (r) => [r.id, r.sid], retryAlone: rowLevelSqlError },
    ),
  };
}

