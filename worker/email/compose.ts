import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutgoingEmail } from './transport.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The plain body with the unsubscribe line under it (text/plain). */
export function textBody(body: string, churchName: string, unsubscribeUrl: string): string {
  return `${body}\n\n--\nYou get this email from ${churchName}. Unsubscribe: ${unsubscribeUrl}\n`;
}

/** The same as HTML: the body escaped with its line breaks kept, and the unsubscribe link. */
export function htmlBody(body: string, churchName: string, unsubscribeUrl: string): string {
  const paragraphs = body
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  return (
    `<!doctype html><html><body>\n${paragraphs}\n<hr>\n<p style="font-size:12px;color:#555">You get this email from ${escapeHtml(churchName)}. ` +
    `<a href="${escapeHtml(unsubscribeUrl)}">Unsubscribe</a></p>\n</body></html>\n`
  );
}

/**
 * The whole RFC 5322 message, built by nodemailer's composer: text and HTML alternatives, the
 * Message-ID, and the one-click unsubscribe headers of RFC 8058 (the URL is written as it is:
 * `prepared`, so nothing folds or encodes it).
 */
export async function composeRaw(mail: OutgoingEmail): Promise<Buffer> {
  const composer = new MailComposer({
    from: { name: mail.from.name, address: mail.from.address },
    to: mail.to,
    ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    date: new Date(),
    headers: {
      'List-Unsubscribe': { prepared: true, value: `<${mail.unsubscribeUrl}>` },
      'List-Unsubscribe-Post': { prepared: true, value: 'List-Unsubscribe=One-Click' },
      'Auto-Submitted': 'auto-generated',
    },
  });
  return composer.compile().build();
}
