import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startLocalSmtp, type LocalSmtp, type ReceivedMail } from './helpers/local-smtp.js';
import { startTestServer, TEST_REDIS_URL, type TestServer } from './helpers/server.js';

// Email beside SMS, end to end: the API writes the outbox, the real worker sends through nodemailer
// to a real SMTP server on a local port (smtp-server), and the unsubscribe links and the bounce
// webhook are called over HTTP as a mail client and a mail provider would.
let smtp: LocalSmtp;
let s: TestServer;
let worker: RunningWorker;
let church: SeededChurch;
const SECRET = 'email-webhook-secret-of-the-test';
const FROM = '+13125550190';

const SEND = `mutation($c: ID!, $body: String!, $subject: String, $channel: MessageChannel, $a: AudienceInput!) {
  sendMessage(churchId: $c, channel: $channel, subject: $subject, body: $body, audience: $a) { id channel subject status fromAddress fromNumber encoding segments recipientCount skippedCount } }`;
const PREVIEW = `query($c: ID!, $body: String!, $subject: String, $channel: MessageChannel, $a: AudienceInput!) {
  previewMessage(churchId: $c, channel: $channel, subject: $subject, body: $body, audience: $a) {
    channel encoding segments characters audienceCount recipientCount estimatedCost skipped { optedOut noPhone sharedPhone noEmail sharedEmail undeliverable complained } } }`;
const MESSAGE = `query($id: ID!) { message(id: $id) { status channel counts { queued sending delivered undelivered failed skipped unconfirmed total }
  recipients(first: 100) { nodes { id channel email phone status reason errorCode member { id } } } } }`;

let seq = 0;
const nextEmail = (tag = 'p') => `${tag}${seq++}.${process.pid}@example.org`;
let phoneSeq = 0;
const nextPhone = () => `+1312555${String(3000 + phoneSeq++).padStart(4, '0')}`;

async function person(email: string | null, extra: Record<string, unknown> = {}, churchId = church.churchId): Promise<string> {
  const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
    i: { churchId: String(churchId), firstName: 'Mail', lastName: `Person ${email ?? 'none'}`, email, status: 'MEMBER', ...extra },
  });
  expect(r.errors).toBeUndefined();
  return r.data.createMember.id;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sendEmail(memberIds: string[], subject = 'Picnic on Sunday', body = 'Bring a dish to share.\n\nSee you there!') {
  const r = await s.gql(SEND, { c: String(church.churchId), channel: 'EMAIL', subject, body, a: { memberIds } });
  expect(r.errors).toBeUndefined();
  return r.data.sendMessage;
}

const settled = (id: string) =>
  waitFor(`message ${id} completed`, async () => {
    const r = await s.gql(MESSAGE, { id });
    return r.data.message.status === 'COMPLETED' ? r.data.message : null;
  });

const to = (m: ReceivedMail) => m.to.join(',');
const unsubscribeLink = (m: ReceivedMail) => /^<(.+)>$/.exec(m.headers.get('list-unsubscribe') ?? '')![1]!;

beforeAll(async () => {
  smtp = await startLocalSmtp();
  s = await startTestServer('email', {
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'office@grace.example',
    EMAIL_WEBHOOK_SECRET: SECRET,
    SMS_SEND_TIMEOUT_MS: '500',
    SMS_LEASE_S: '2',
    SMS_SWEEP_INTERVAL_S: '1',
    SMS_WINDOW_START: '00:00',
    SMS_WINDOW_END: '23:59',
  });
  church = await seedChurch(s, { members: 0, name: 'Grace Chapel' });
  await s.database.sql`UPDATE churches SET sms_from_number = ${FROM} WHERE id = ${church.churchId}`;
  worker = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await s?.close();
  await smtp?.close();
});

beforeEach(() => smtp.reset());

describe('sendMessage(channel: EMAIL)', () => {
  it('reaches the SMTP server once per address, with RFC 8058 one-click unsubscribe headers and a link in the body', async () => {
    const a = nextEmail();
    const b = nextEmail();
    const shared = nextEmail('family');
    const ids = [
      await person(a),
      await person(b.toUpperCase()), // stored as typed; sent lower-cased
      await person(shared),
      await person(shared),
      await person(null),
    ];
    const pv = await s.gql(PREVIEW, { c: String(church.churchId), channel: 'EMAIL', subject: 'Picnic on Sunday', body: 'Bring a dish.', a: { memberIds: ids } });
    expect(pv.errors).toBeUndefined();
    expect(pv.data.previewMessage).toMatchObject({
      channel: 'EMAIL', encoding: null, segments: null, characters: 13, audienceCount: 5, recipientCount: 3, estimatedCost: 0,
      skipped: { optedOut: 0, noPhone: 0, sharedPhone: 0, noEmail: 1, sharedEmail: 1, undeliverable: 0, complained: 0 },
    });

    const m = await sendEmail(ids);
    expect(m).toMatchObject({ channel: 'EMAIL', subject: 'Picnic on Sunday', fromAddress: 'office@grace.example', fromNumber: null, encoding: null, recipientCount: 3, skippedCount: 2 });
    await smtp.waitForCount(3);
    const done = await settled(m.id);
    expect(done.counts).toMatchObject({ delivered: 3, skipped: 2, failed: 0, total: 5 });
    const reasons = (done.recipients.nodes as Array<{ reason: string | null; channel: string }>).map((n) => n.reason).sort();
    expect(reasons).toEqual(['no_email', 'shared_email', null, null, null].sort());
    expect(done.recipients.nodes.every((n: { channel: string }) => n.channel === 'EMAIL')).toBe(true);

    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    expect(smtp.received.map(to).sort()).toEqual([a, b.toLowerCase(), shared].sort());
    for (const mail of smtp.received) {
      expect(mail.headers.get('subject')).toBe('Picnic on Sunday');
      expect(mail.headers.get('from')).toBe('Grace Chapel <office@grace.example>');
      expect(mail.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      const link = unsubscribeLink(mail);
      expect(link.startsWith(`${s.config.publicUrl}/email/unsubscribe?t=`)).toBe(true);
      // the body carries the same link (quoted-printable may wrap it: compare unwrapped)
      expect(mail.body.replace(/=\r\n/g, '').replace(/=3D/g, '=')).toContain(link);
      expect(mail.messageId).toMatch(/^<e\d+\.\d+@grace\.example>$/);
    }
    // the dashboard counts emails beside texts, with the channel as a dimension
    const an = await s.gql(`query($c: ID!) { analytics(churchId: $c, period: { preset: LAST_30_DAYS }) { messaging { messages delivered byChannel { channel messages recipients textsSent delivered segments estimatedCost } } } }`, { c: String(church.churchId) });
    expect(an.errors).toBeUndefined();
    expect(an.data.analytics.messaging.byChannel).toEqual([{ channel: 'EMAIL', messages: 1, recipients: 3, textsSent: 3, delivered: 3, segments: 0, estimatedCost: 0 }]);
    expect(an.data.analytics.messaging).toMatchObject({ messages: 1, delivered: 3 });
    // the recipient rows keep the Message-ID (bounces name it)
    const sids = await s.database.sql<{ provider_sid: string }[]>`SELECT provider_sid FROM message_recipients WHERE message_id = ${Number(m.id)} AND status = 'delivered'`;
    expect(sids.map((r) => r.provider_sid).sort()).toEqual(smtp.received.map((x) => x.messageId).sort());
    // and the send is in the audit log, with its channel and subject
    const logged = await s.database.sql<{ action: string; changes: Record<string, unknown[]> }[]>`
      SELECT action, changes FROM audit_log WHERE entity = 'Message' AND entity_id = ${Number(m.id)}`;
    expect(logged).toHaveLength(1);
    expect(logged[0]!.action).toBe('send');
    expect(logged[0]!.changes.channel).toEqual([null, 'email']);
    expect(logged[0]!.changes.subject).toEqual([null, m.subject]);
  });

  it('fills merge fields per recipient in the subject and the body', async () => {
    const a = nextEmail('merge');
    const b = nextEmail('merge');
    const ids = [await person(a, { firstName: 'Maria', lastName: 'Lopez' }), await person(b, { firstName: 'José', lastName: 'Núñez' })];
    const m = await sendEmail(ids, 'News for {firstName}', 'Dear {fullName},\n\nSee you at {churchName}.');
    // the message keeps the template; each person gets their own words
    expect(m.subject).toBe('News for {firstName}');
    await smtp.waitForCount(2);
    await settled(m.id);
    const byTo = new Map(smtp.received.map((x) => [to(x), x]));
    const plain = (x: ReceivedMail) => x.body.replace(/=\r\n/g, '').replace(/=3D/g, '=');
    expect(byTo.get(a)!.headers.get('subject')).toBe('News for Maria');
    expect(plain(byTo.get(a)!)).toContain('Dear Maria Lopez,');
    expect(plain(byTo.get(a)!)).toContain('See you at Grace Chapel.');
    // a name outside ASCII goes as an RFC 2047 encoded word
    expect(byTo.get(b)!.headers.get('subject')).toBe('=?UTF-8?Q?News_for_Jos=C3=A9?=');
    expect(plain(byTo.get(a)!)).not.toContain('{');
  });

  it('the unsubscribe link: GET shows a page and changes nothing; one-click POST opts out; the next send skips the person and their address', async () => {
    const head = nextEmail('head');
    const other = nextEmail();
    const headId = await person(head);
    const spouseId = await person(head); // the same address
    const otherId = await person(other);
    await settled((await sendEmail([headId, spouseId, otherId])).id);
    const mail = smtp.received.find((x) => to(x) === head)!;
    const link = unsubscribeLink(mail);

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Stop email from <strong>Grace Chapel</strong>');
    expect((await s.database.sql`SELECT 1 FROM email_consents WHERE member_id = ${Number(headId)}`).length).toBe(0);

    // a link whose token was altered is refused, and records nothing
    const forged = link.replace(/t=([A-Za-z0-9_-])/, (_all, c: string) => `t=${c === 'A' ? 'B' : 'A'}`);
    expect((await fetch(forged, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(400);
    const otherLink = unsubscribeLink(smtp.received.find((x) => to(x) === other)!);
    expect(otherLink).not.toBe(link);

    // RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, no cookie, no session
    const post = await fetch(link, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('will send no more email to you');
    const [c] = await s.database.sql<{ via: string; email: string }[]>`SELECT via, email FROM email_consents WHERE member_id = ${Number(headId)} AND opted_out_at IS NOT NULL`;
    expect(c).toEqual({ via: 'unsubscribe:one-click', email: head });
    // staff see it on the person (and only the person: the spouse's own consent is untouched)
    const seen = await s.gql('query($a: ID!, $b: ID!) { a: member(id: $a) { emailOptedOutAt smsOptOutVia } b: member(id: $b) { emailOptedOutAt } }', { a: headId, b: spouseId });
    expect(seen.errors).toBeUndefined();
    expect(seen.data.a.emailOptedOutAt).not.toBeNull();
    expect(seen.data.a.smsOptOutVia).toBeNull();
    expect(seen.data.b.emailOptedOutAt).toBeNull();
    // twice is once
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);

    smtp.reset();
    const pv = await s.gql(PREVIEW, { c: String(church.churchId), channel: 'EMAIL', subject: 'Again', body: 'Again.', a: { memberIds: [headId, spouseId, otherId] } });
    expect(pv.data.previewMessage.recipientCount).toBe(1);
    expect(pv.data.previewMessage.skipped.optedOut).toBe(2); // the person, and the spouse at that address
    await settled((await sendEmail([headId, spouseId, otherId], 'Again')).id);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received.map(to)).toEqual([other]);

    // and the page's own button subscribes again
    const back = await fetch(link, { method: 'POST', body: 'action=resubscribe', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(await back.text()).toContain('may email you at');
    const pv2 = await s.gql(PREVIEW, { c: String(church.churchId), channel: 'EMAIL', subject: 'Again', body: 'Again.', a: { memberIds: [headId, otherId] } });
    expect(pv2.data.previewMessage.recipientCount).toBe(2);
  });

  it('SMS and email consent are independent', async () => {
    const email = nextEmail();
    const phone = nextPhone();
    const id = await person(email, { phone });
    // STOP by text: no texts, email still goes
    await s.gql('mutation($id: ID!) { updateMember(id: $id, input: { smsOptedOut: true }) { id } }', { id });
    const sms = await s.gql(PREVIEW, { c: String(church.churchId), body: 'Hi', a: { memberIds: [id] } });
    expect(sms.errors).toBeUndefined();
    expect(sms.data.previewMessage).toMatchObject({ channel: 'SMS', recipientCount: 0, skipped: { optedOut: 1, noEmail: 0 } });
    await settled((await sendEmail([id])).id);
    expect(smtp.received.map(to)).toEqual([email]);

    // unsubscribed from email: texts still go (once the person texts START)
    const link = unsubscribeLink(smtp.received[0]!);
    expect((await fetch(link, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(200);
    await s.database.sql`UPDATE members SET sms_opted_out_at = NULL, sms_opt_out_via = NULL WHERE id = ${Number(id)}`;
    const sms2 = await s.gql(PREVIEW, { c: String(church.churchId), body: 'Hi', a: { memberIds: [id] } });
    expect(sms2.data.previewMessage.recipientCount).toBe(1);
    const mail2 = await s.gql(PREVIEW, { c: String(church.churchId), channel: 'EMAIL', subject: 'x', body: 'Hi', a: { memberIds: [id] } });
    expect(mail2.data.previewMessage).toMatchObject({ recipientCount: 0, skipped: { optedOut: 1 } });
  });
});

type Hooked = { results: Array<{ email: string; suppressed: string | null; recipientId: number | null }> };

describe('bounces and complaints', () => {
  const hook = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }) =>
    fetch(`${s.url}/webhooks/email/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('a bounce marks the address and the email, and the next send skips it; a complaint too; the secret is required', async () => {
    const bad = nextEmail('bounce');
    const spam = nextEmail('spam');
    const fine = nextEmail();
    const ids = [await person(bad), await person(spam), await person(fine)];
    const m = await sendEmail(ids);
    await settled(m.id);
    const bounced = smtp.received.find((x) => to(x) === bad)!;

    expect((await hook({ email: bad, type: 'bounce' }, {})).status).toBe(401);
    expect((await hook({ email: bad, type: 'bounce' }, { authorization: 'Bearer wrong-secret-wrong-secret' })).status).toBe(401);
    expect((await s.database.sql`SELECT 1 FROM email_suppressions WHERE email = ${bad}`).length).toBe(0);
    const bad1 = await hook({ email: 'not an address', type: 'bounce' });
    expect(bad1.status).toBe(400);
    expect(((await bad1.json()) as { field: string }).field).toBe('email');
    expect((await hook({ email: bad, type: 'delivered' })).status).toBe(400);

    const r = await hook({ email: bad.toUpperCase(), type: 'bounce', messageId: bounced.messageId, detail: '550 5.1.1 user unknown' });
    expect(r.status).toBe(200);
    expect(((await r.json()) as Hooked).results[0]).toMatchObject({ email: bad, suppressed: 'undeliverable' });
    // the same report again changes nothing more
    expect(((await (await hook({ email: bad, type: 'bounce', messageId: bounced.messageId })).json()) as Hooked).results[0]!.recipientId).toBeNull();
    // a complaint, signed over the body instead of a bearer
    const body = JSON.stringify({ events: [{ email: spam, type: 'complaint' }] });
    const sig = createHmac('sha256', SECRET).update(body).digest('hex');
    const c = await fetch(`${s.url}/webhooks/email/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-steeple-signature': `sha256=${sig}` }, body });
    expect(c.status).toBe(200);
    const badSig = await fetch(`${s.url}/webhooks/email/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-steeple-signature': `sha256=${'0'.repeat(64)}` }, body });
    expect(badSig.status).toBe(401);

    const after = await s.gql(MESSAGE, { id: m.id });
    expect(after.data.message.counts).toMatchObject({ delivered: 2, undelivered: 1 });
    const row = after.data.message.recipients.nodes.find((n: { email: string }) => n.email === bad);
    expect(row).toMatchObject({ status: 'UNDELIVERED', errorCode: 'bounce' });

    smtp.reset();
    const pv = await s.gql(PREVIEW, { c: String(church.churchId), channel: 'EMAIL', subject: 'x', body: 'Next', a: { memberIds: ids } });
    expect(pv.data.previewMessage).toMatchObject({ recipientCount: 1, skipped: { undeliverable: 1, complained: 1 } });
    await settled((await sendEmail(ids, 'Next')).id);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received.map(to)).toEqual([fine]);
  });

  it('a mailbox the server refuses (550 at RCPT) fails at once, shows in failedSends and failedJobs as an email, and an operator retry sends it once', async () => {
    const gone = nextEmail('gone');
    smtp.rejectRcpt.set(gone, { code: 550, message: '5.1.1 mailbox unavailable' });
    const m = await sendEmail([await person(gone)]);
    const done = await settled(m.id);
    expect(done.counts).toMatchObject({ failed: 1, delivered: 0 });
    expect(smtp.received).toHaveLength(0);
    const f = await s.gql(`query($c: ID!) { failedSends(churchId: $c, first: 5) { nodes { messageId channel phone email errorCode } } }`, { c: String(church.churchId) });
    expect(f.errors).toBeUndefined();
    expect(f.data.failedSends.nodes[0]).toMatchObject({ messageId: m.id, channel: 'EMAIL', phone: null, email: 'g•••@example.org', errorCode: '550' });

    // the operator's queue view and retry cover emails: the mailbox exists again, the retry sends it once
    const jobs = await s.gql('{ failedJobs(limit: 50) { jobs { id channel messageId email phone error } } }');
    expect(jobs.errors).toBeUndefined();
    const job = jobs.data.failedJobs.jobs.find((j: { messageId: string }) => j.messageId === m.id);
    expect(job).toMatchObject({ channel: 'EMAIL', email: 'g•••@example.org', phone: null });
    expect(job.id).toMatch(/^email-\d+-0$/);
    smtp.rejectRcpt.clear();
    const retried = await s.gql('mutation($ids: [ID!]) { retryFailedJobs(ids: $ids) { retried skipped { id reason } } }', { ids: [job.id] });
    expect(retried.data.retryFailedJobs).toEqual({ retried: 1, skipped: [] });
    await smtp.waitForCount(1);
    // (the message was COMPLETED already: wait for the row itself)
    const again = await waitFor('the retried email delivered', async () => {
      const r = await s.gql(MESSAGE, { id: m.id });
      return r.data.message.counts.delivered === 1 ? r.data.message : null;
    });
    expect(again.counts).toMatchObject({ failed: 0, delivered: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received.map(to)).toEqual([gone]);
  });
});

describe('bad input', () => {
  const send = (vars: Record<string, unknown>) =>
    s.gql(SEND, { c: String(church.churchId), channel: 'EMAIL', subject: 'Hello', body: 'Body', a: { everyone: true }, ...vars });
  const field = (r: { errors?: Array<{ extensions?: { code?: string; field?: string } }> }) => [r.errors?.[0]?.extensions?.code, r.errors?.[0]?.extensions?.field];

  it('names the field: no subject, a blank or long or two-line subject, a long body, a subject for a text, a bad channel', async () => {
    expect(field(await send({ subject: null }))).toEqual(['BAD_USER_INPUT', 'subject']);
    expect(field(await send({ subject: '   ' }))).toEqual(['BAD_USER_INPUT', 'subject']);
    expect(field(await send({ subject: 'x'.repeat(201) }))).toEqual(['BAD_USER_INPUT', 'subject']);
    expect(field(await send({ subject: 'Hi\r\nBcc: everyone@example.org' }))).toEqual(['BAD_USER_INPUT', 'subject']);
    expect(field(await send({ body: 'x'.repeat(50_001) }))).toEqual(['BAD_USER_INPUT', 'body']);
    expect(field(await send({ channel: 'SMS' }))).toEqual(['BAD_USER_INPUT', 'subject']);
    // merge fields are checked before anything is stored, naming the part and the position
    const unknown = await send({ body: 'Hello {nickname}' });
    expect(field(unknown)).toEqual(['BAD_USER_INPUT', 'body']);
    expect(unknown.errors?.[0]?.message).toContain('nickname');
    expect(field(await send({ subject: 'Hi {firstName' }))).toEqual(['BAD_USER_INPUT', 'subject']);
    const badChannel = await send({ channel: 'FAX' });
    expect(badChannel.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badChannel.errors?.[0]?.message).toContain('channel');
    // nothing was written by any of them
    expect((await s.database.sql`SELECT 1 FROM messages WHERE church_id = ${church.churchId} AND subject = 'Hello'`).length).toBe(0);
  });
});
