import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Queryable } from '../src/db/client.js';
import { createLogger } from '../src/lib/logger.js';
import { customValues, fieldKey, formatFieldValue, resolveCustomFields, VALUES_CHUNK } from '../src/modules/message/custom-merge.js';
import type { FieldRow } from '../src/modules/field/field.queries.js';
import { fieldsByChurch } from '../src/modules/field/field.queries.js';
import { parseTemplate } from '../src/modules/message/merge-fields.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startLocalSmtp, type LocalSmtp, type ReceivedMail } from './helpers/local-smtp.js';
import { startTestServer, TEST_REDIS_URL, type GqlResult, type TestServer } from './helpers/server.js';

// Email templates (a subject beside the body) and the church's custom fields as merge fields, end to
// end: the API writes the outbox, the real worker renders each email and sends it through nodemailer
// to a real SMTP server on a local port; texts are rendered when the send is written, so their rows
// (what the worker sends) and the preview's segment range are compared.
let smtp: LocalSmtp;
let s: TestServer;
let worker: RunningWorker;
let church: SeededChurch;
let other: SeededChurch;
const FROM = '+13125550730';
const HOOK_SECRET = 'email-webhook-secret-of-the-tpl-test';
const fields: Record<string, string> = {};

const CREATE_TPL = `mutation($i: CreateTemplateInput!) { createMessageTemplate(input: $i) { id name channel subject body } }`;
const UPDATE_TPL = `mutation($id: ID!, $i: UpdateTemplateInput!) { updateMessageTemplate(id: $id, input: $i) { id subject body } }`;
const SEND = `mutation($c: ID!, $body: String, $subject: String, $t: ID, $channel: MessageChannel, $a: AudienceInput!) {
  sendMessage(churchId: $c, channel: $channel, subject: $subject, body: $body, templateId: $t, audience: $a, urgent: false) { id channel subject body status } }`;
const SEND_SMS = `mutation($c: ID!, $body: String, $t: ID, $a: AudienceInput!) {
  sendMessage(churchId: $c, body: $body, templateId: $t, audience: $a, urgent: true) { id body segments } }`;
const PREVIEW = `query($c: ID!, $body: String, $subject: String, $t: ID, $channel: MessageChannel, $a: AudienceInput!) {
  previewMessage(churchId: $c, channel: $channel, subject: $subject, body: $body, templateId: $t, audience: $a) {
    channel subject body segmentRange { min max } longestText shortestText totalSegments recipientCount } }`;
const MESSAGE = `query($id: ID!) { message(id: $id) { status } }`;

let seq = 0;
const nextEmail = (tag = 'f') => `${tag}${seq++}.${process.pid}@example.org`;
let phoneSeq = 0;
const nextPhone = () => `+1312555${String(7000 + phoneSeq++).padStart(4, '0')}`;

const problem = (r: GqlResult<unknown>) => {
  expect(r.errors, JSON.stringify(r.data)).toBeDefined();
  const e = r.errors![0]!;
  return { code: e.extensions?.code, field: e.extensions?.field, message: e.message };
};

async function person(extra: Record<string, unknown>, customFields: Array<Record<string, unknown>> = []): Promise<string> {
  const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
    i: { churchId: String(church.churchId), firstName: 'Field', lastName: 'Person', status: 'MEMBER', customFields, ...extra },
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
const settled = (id: string) => waitFor(`message ${id} completed`, async () => (await s.gql(MESSAGE, { id })).data.message.status === 'COMPLETED');
const plain = (x: ReceivedMail) => x.body.replace(/=\r\n/g, '').replace(/=3D/g, '=');

beforeAll(async () => {
  smtp = await startLocalSmtp();
  s = await startTestServer('email-tpl-fields', {
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'office@grace.example',
    EMAIL_WEBHOOK_SECRET: HOOK_SECRET,
    SMS_SEND_TIMEOUT_MS: '500',
    SMS_LEASE_S: '2',
    SMS_SWEEP_INTERVAL_S: '1',
    SMS_WINDOW_START: '00:00',
    SMS_WINDOW_END: '23:59',
    CACHE_ENABLED: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  });
  church = await seedChurch(s, { members: 0, name: 'Grace Chapel' });
  other = await seedChurch(s, { members: 0, name: 'Other Chapel' });
  await s.database.sql`UPDATE churches SET sms_from_number = ${FROM} WHERE id = ${church.churchId}`;
  const field = async (input: Record<string, unknown>, churchId = church.churchId) => {
    const r = await s.gql(`mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { id } }`, { i: { churchId: String(churchId), ...input } });
    expect(r.errors).toBeUndefined();
    return r.data.createCustomField.id as string;
  };
  fields.date = await field({ name: 'Baptism date', type: 'DATE' });
  fields.yesNo = await field({ name: 'Background check', type: 'YES_NO' });
  fields.multi = await field({ name: 'Gifts', type: 'MULTIPLE_CHOICE', choices: ['Music', 'Teaching', 'Hospitality'] });
  fields.single = await field({ name: 'T-shirt size', type: 'SINGLE_CHOICE', choices: ['S', 'M', 'L'] });
  fields.text = await field({ name: 'Allergies', type: 'TEXT' });
  fields.old = await field({ name: 'Old field', type: 'TEXT' });
  fields.otherChurch = await field({ name: 'Shoe size', type: 'TEXT' }, other.churchId);
  const archived = await s.gql(`mutation($id: ID!) { archiveCustomField(id: $id) { archivedAt } }`, { id: fields.old });
  expect(archived.errors).toBeUndefined();
  worker = await startWorker(s.config, createLogger('silent'), { db: s.config.db.url!, redis: TEST_REDIS_URL });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await s?.close();
  await smtp?.close();
});

beforeEach(() => smtp.reset());

describe('EMAIL templates', () => {
  it('carry a subject: required for EMAIL, refused for SMS, checked like a send', async () => {
    const c = String(church.churchId);
    expect(problem(await s.gql(CREATE_TPL, { i: { churchId: c, name: 'No subject', channel: 'EMAIL', body: 'Hi' } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.subject' });
    expect(problem(await s.gql(CREATE_TPL, { i: { churchId: c, name: 'Two lines', channel: 'EMAIL', subject: 'a\nb', body: 'Hi' } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.subject' });
    expect(problem(await s.gql(CREATE_TPL, { i: { churchId: c, name: 'Text subject', channel: 'SMS', subject: 'Hi', body: 'Hi' } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.subject' });
    expect(problem(await s.gql(CREATE_TPL, { i: { churchId: c, name: 'Bad field', channel: 'EMAIL', subject: 'Hi {frstName}', body: 'Hi' } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.subject' });
    // an email body may be longer than a text's
    const long = await s.gql(CREATE_TPL, { i: { churchId: c, name: 'Long letter', channel: 'EMAIL', subject: 'News', body: 'x'.repeat(5000) } });
    expect(long.errors).toBeUndefined();
    expect(long.data.createMessageTemplate).toMatchObject({ channel: 'EMAIL', subject: 'News' });
    // the database holds the rule too: a subject exactly on email templates
    await expect(s.database.sql`UPDATE message_templates SET subject = NULL WHERE id = ${Number(long.data.createMessageTemplate.id)}`).rejects.toThrow(/message_templates_subject_of_email/);
    // edited: the subject is checked as on create; a text template takes none
    const up = await s.gql(UPDATE_TPL, { id: long.data.createMessageTemplate.id, i: { subject: 'News for {firstName}' } });
    expect(up.errors).toBeUndefined();
    expect(up.data.updateMessageTemplate.subject).toBe('News for {firstName}');
    expect(problem(await s.gql(UPDATE_TPL, { id: long.data.createMessageTemplate.id, i: { subject: '  ' } }))).toMatchObject({ field: 'input.subject' });
    const sms = await s.gql(CREATE_TPL, { i: { churchId: c, name: 'A text', body: 'Hi {firstName}' } });
    expect(sms.data.createMessageTemplate).toMatchObject({ channel: 'SMS', subject: null });
    expect(problem(await s.gql(UPDATE_TPL, { id: sms.data.createMessageTemplate.id, i: { subject: 'Hi' } }))).toMatchObject({ field: 'input.subject' });
  });

  it('STAFF and up create, edit and archive them; VIEWER may not', async () => {
    const c = String(church.churchId);
    const staff = await s.userWith('tpl-staff@fixture.test', [[church.churchId, 'staff']]);
    const viewer = await s.userWith('tpl-viewer@fixture.test', [[church.churchId, 'viewer']]);
    const i = { churchId: c, name: 'Staff letter', channel: 'EMAIL', subject: 'Hello', body: 'Dear {firstName}' };
    expect(problem(await s.gql(CREATE_TPL, { i }, viewer.headers)).code).toBe('FORBIDDEN');
    const made = await s.gql(CREATE_TPL, { i }, staff.headers);
    expect(made.errors).toBeUndefined();
    const id = made.data.createMessageTemplate.id;
    expect(problem(await s.gql(UPDATE_TPL, { id, i: { subject: 'x' } }, viewer.headers)).code).toBe('FORBIDDEN');
    expect((await s.gql(UPDATE_TPL, { id, i: { subject: 'Hello again' } }, staff.headers)).errors).toBeUndefined();
    const arch = await s.gql(`mutation($id: ID!) { archiveMessageTemplate(id: $id) { archivedAt } }`, { id }, staff.headers);
    expect(arch.data.archiveMessageTemplate.archivedAt).toBeTruthy();
    // an archived template cannot be sent
    const p = await person({ email: nextEmail() });
    expect(problem(await s.gql(SEND, { c, channel: 'EMAIL', t: id, a: { memberIds: [p] } }))).toMatchObject({ code: 'NOT_FOUND', field: 'templateId' });
  });

  it('sendMessage(channel: EMAIL, templateId) sends the template\'s subject and body, rendered per recipient; the wrong channel is BAD_USER_INPUT on templateId', async () => {
    const c = String(church.churchId);
    const tpl = await s.gql(CREATE_TPL, { i: { churchId: c, name: 'Welcome email', channel: 'EMAIL', subject: 'Welcome, {firstName}!', body: 'Dear {fullName},\n\nWelcome to {churchName}.' } });
    expect(tpl.errors).toBeUndefined();
    const id = tpl.data.createMessageTemplate.id;
    const a = nextEmail('tpl');
    const b = nextEmail('tpl');
    const ids = [await person({ firstName: 'Maria', lastName: 'Lopez', email: a }), await person({ firstName: 'Ann', lastName: 'Lee', email: b })];
    const pv = await s.gql(PREVIEW, { c, channel: 'EMAIL', t: id, a: { memberIds: ids } });
    expect(pv.errors).toBeUndefined();
    expect(pv.data.previewMessage).toMatchObject({ channel: 'EMAIL', subject: 'Welcome, {firstName}!', body: 'Dear {fullName},\n\nWelcome to {churchName}.', recipientCount: 2 });

    const sent = await s.gql(SEND, { c, channel: 'EMAIL', t: id, a: { memberIds: ids } });
    expect(sent.errors).toBeUndefined();
    expect(sent.data.sendMessage).toMatchObject({ channel: 'EMAIL', subject: 'Welcome, {firstName}!', body: 'Dear {fullName},\n\nWelcome to {churchName}.' });
    await smtp.waitForCount(2);
    await settled(sent.data.sendMessage.id);
    const byTo = new Map(smtp.received.map((x) => [x.to.join(','), x]));
    expect(byTo.get(a)!.headers.get('subject')).toBe('Welcome, Maria!');
    expect(plain(byTo.get(a)!)).toContain('Dear Maria Lopez,');
    expect(plain(byTo.get(a)!)).toContain('Welcome to Grace Chapel.');
    expect(byTo.get(b)!.headers.get('subject')).toBe('Welcome, Ann!');

    // the wrong channel either way, and a subject or body beside the template
    const smsTpl = await s.gql(CREATE_TPL, { i: { churchId: c, name: 'Welcome text', body: 'Welcome {firstName}' } });
    const asEmail = problem(await s.gql(SEND, { c, channel: 'EMAIL', t: smsTpl.data.createMessageTemplate.id, a: { memberIds: ids } }));
    expect(asEmail).toMatchObject({ code: 'BAD_USER_INPUT', field: 'templateId' });
    expect(asEmail.message).toContain('SMS template');
    expect(problem(await s.gql(SEND_SMS, { c, t: id, a: { memberIds: ids } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'templateId' });
    expect(problem(await s.gql(PREVIEW, { c, channel: 'EMAIL', t: smsTpl.data.createMessageTemplate.id, a: { memberIds: ids } }))).toMatchObject({ field: 'templateId' });
    expect(problem(await s.gql(SEND, { c, channel: 'EMAIL', t: id, subject: 'Mine', a: { memberIds: ids } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'templateId' });
    expect(problem(await s.gql(SEND, { c, channel: 'EMAIL', t: id, body: 'Mine', a: { memberIds: ids } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'templateId' });
    // another church's template is NOT_FOUND
    const theirs = await s.gql(CREATE_TPL, { i: { churchId: String(other.churchId), name: 'Theirs', channel: 'EMAIL', subject: 'x', body: 'y' } });
    expect(problem(await s.gql(SEND, { c, channel: 'EMAIL', t: theirs.data.createMessageTemplate.id, a: { memberIds: ids } }))).toMatchObject({ code: 'NOT_FOUND', field: 'templateId' });
  });
});

describe('custom fields as merge fields', () => {
  it('keys, formats and parses (pure)', () => {
    expect(fieldKey('Baptism date')).toBe('baptism_date');
    expect(fieldKey('T-shirt size')).toBe('t_shirt_size');
    expect(fieldKey('  Año de llegada ')).toBe('ano_de_llegada');
    expect(formatFieldValue('date', { text: null, number: null, date: '2024-03-03', bool: null, choices: null })).toBe('March 3, 2024');
    expect(formatFieldValue('yes_no', { text: null, number: null, date: null, bool: false, choices: null })).toBe('No');
    expect(formatFieldValue('multiple_choice', { text: null, number: null, date: null, bool: null, choices: ['Music', 'Teaching'] })).toBe('Music, Teaching');
    expect(formatFieldValue('number', { text: null, number: '12.50', date: null, bool: null, choices: null })).toBe('12.5');
    expect(formatFieldValue('text', undefined)).toBe('');
    expect(parseTemplate('On {field.Baptism_Date}!')).toMatchObject({ custom: [{ key: 'baptism_date', position: 4 }] });
    expect(parseTemplate('x {field.not a key}')).toMatchObject({ problem: { position: 3 } });
    // two live fields with one key: refused, naming both ids; the id form picks one
    const f = (id: number, name: string, archivedAt: Date | null = null) => ({ id, name, type: 'single_choice', archivedAt }) as unknown as FieldRow;
    const both = [f(3, 'T-shirt size'), f(7, 'T shirt size'), f(9, 'Old', new Date())];
    expect(() => resolveCustomFields([{ key: 't_shirt_size', position: 5 }], both, 'body')).toThrow(/at position 5 matches 2 fields .*\{field\.3\} or \{field\.7\}/);
    expect(resolveCustomFields([{ key: '7', position: 1 }], both, 'body').get('7')!.id).toBe(7);
    expect(() => resolveCustomFields([{ key: '9', position: 1 }], both, 'body')).toThrow(/archived/);
  });

  it('texts: rendered per recipient when the send is written (dates, yes/no, choices; no value → empty), and the preview\'s range is what was written', async () => {
    const c = String(church.churchId);
    const maria = await person({ firstName: 'Maria', phone: nextPhone() }, [
      { fieldId: fields.date, date: '2024-03-03' },
      { fieldId: fields.yesNo, yesNo: true },
      { fieldId: fields.multi, choices: ['Music', 'Teaching'] },
      { fieldId: fields.text, text: 'a very long note about allergies that goes on and on: peanuts, tree nuts, shellfish, gluten, dairy, eggs, soy and sesame, please' },
    ]);
    const ben = await person({ firstName: 'Ben', phone: nextPhone() });
    const ids = [maria, ben];
    const body = 'Hi {firstName}: baptised {field.baptism_date}, checked {field.background_check}, gifts {field.gifts}. {field.allergies}';
    const pv = await s.gql(PREVIEW, { c, body, a: { memberIds: ids } });
    expect(pv.errors).toBeUndefined();
    expect(pv.data.previewMessage.segmentRange).toEqual({ min: 1, max: 2 });
    expect(pv.data.previewMessage.longestText).toContain('baptised March 3, 2024, checked Yes, gifts Music, Teaching.');
    expect(pv.data.previewMessage.shortestText).toBe('Hi Ben: baptised , checked , gifts . ');

    const sent = await s.gql(SEND_SMS, { c, body, a: { memberIds: ids } });
    expect(sent.errors).toBeUndefined();
    expect(sent.data.sendMessage.body).toBe(body);
    expect(sent.data.sendMessage.segments).toBe(2);
    const rows = await s.database.sql<{ member_id: number; body: string }[]>`
      SELECT member_id, body FROM message_recipients WHERE message_id = ${Number(sent.data.sendMessage.id)} ORDER BY member_id`;
    const texts = new Map(rows.map((r) => [String(r.member_id), r.body]));
    expect(texts.get(maria)).toBe(pv.data.previewMessage.longestText);
    expect(texts.get(ben)).toBe(pv.data.previewMessage.shortestText);
    // a field by its id works too
    const byId = await s.gql(PREVIEW, { c, body: `Size {field.${fields.single}}`, a: { memberIds: ids } });
    expect(byId.errors).toBeUndefined();
  });

  it('unknown, archived and another church\'s fields are BAD_USER_INPUT naming the field and the position, at preview, send and template save', async () => {
    const c = String(church.churchId);
    const p = await person({ phone: nextPhone(), email: nextEmail() });
    const unknown = problem(await s.gql(PREVIEW, { c, body: 'Hi {field.baptism_day}', a: { memberIds: [p] } }));
    expect(unknown).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    expect(unknown.message).toContain('"{field.baptism_day}" at position 4');
    expect(unknown.message).toContain('{field.baptism_date}');
    const archived = problem(await s.gql(SEND_SMS, { c, body: 'Hi {field.old_field}', a: { memberIds: [p] } }));
    expect(archived).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    expect(archived.message).toContain('archived');
    expect(problem(await s.gql(SEND_SMS, { c, body: 'Hi {field.shoe_size}', a: { memberIds: [p] } }))).toMatchObject({ field: 'body' });
    expect(problem(await s.gql(SEND_SMS, { c, body: `Hi {field.${fields.otherChurch}}`, a: { memberIds: [p] } }))).toMatchObject({ field: 'body' });
    expect(problem(await s.gql(SEND, { c, channel: 'EMAIL', subject: 'On {field.nope}', body: 'x', a: { memberIds: [p] } }))).toMatchObject({ field: 'subject' });
    expect(problem(await s.gql(SEND, { c, channel: 'EMAIL', subject: 'x', body: 'x {field.old_field}', a: { memberIds: [p] } }))).toMatchObject({ field: 'body' });
    expect(problem(await s.gql(CREATE_TPL, { i: { churchId: c, name: 'Unknown field', body: 'x {field.nope}' } }))).toMatchObject({ field: 'input.body' });
    // nothing was written by any of them
    expect((await s.database.sql`SELECT 1 FROM messages WHERE church_id = ${church.churchId} AND body LIKE '%{field.%' AND body NOT LIKE 'Hi {firstName}:%'`).length).toBe(0);
  });

  it('emails: the worker fills them per recipient in subject and body', async () => {
    const c = String(church.churchId);
    const a = nextEmail('cf');
    const b = nextEmail('cf');
    const ids = [
      await person({ firstName: 'Maria', email: a }, [{ fieldId: fields.date, date: '2019-12-25' }, { fieldId: fields.single, choice: 'M' }]),
      await person({ firstName: 'Ben', email: b }),
    ];
    const sent = await s.gql(SEND, { c, channel: 'EMAIL', subject: 'Your shirt: {field.t_shirt_size}', body: 'Baptised on {field.baptism_date}.', a: { memberIds: ids } });
    expect(sent.errors).toBeUndefined();
    await smtp.waitForCount(2);
    await settled(sent.data.sendMessage.id);
    const byTo = new Map(smtp.received.map((x) => [x.to.join(','), x]));
    expect(byTo.get(a)!.headers.get('subject')).toBe('Your shirt: M');
    expect(plain(byTo.get(a)!)).toContain('Baptised on December 25, 2019.');
    expect(byTo.get(b)!.headers.get('subject')).toBe('Your shirt:');
    expect(plain(byTo.get(b)!)).toContain('Baptised on .');
  });

  it('values are read in bulk: one statement per chunk of members, whatever the audience', async () => {
    const churchFields = (await fieldsByChurch(s.database.db, [church.churchId])).get(church.churchId)!;
    const date = churchFields.find((f) => f.name === 'Baptism date')!;
    let statements = 0;
    const counting = new Proxy(s.database.db, {
      get(target, prop, recv) {
        if (prop === 'execute') return (...args: unknown[]) => (statements++, (target.execute as (...a: unknown[]) => unknown).apply(target, args));
        return Reflect.get(target, prop, recv);
      },
    }) as unknown as Queryable;
    const ids = Array.from({ length: VALUES_CHUNK * 2 + 1 }, (_, i) => i + 1);
    await customValues(counting, church.churchId, ids, new Map([['baptism_date', date]]));
    expect(statements).toBe(3);
  });
});

describe('lifting an email suppression', () => {
  const LIST = `query($c: ID!, $first: Int, $after: String) { emailSuppressions(churchId: $c, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { email reason detail reports members { id } } } }`;
  const CLEAR = `mutation($c: ID!, $e: String!) { clearEmailSuppression(churchId: $c, email: $e) { email reason } }`;
  const hook = (body: unknown) =>
    fetch(`${s.url}/webhooks/email/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${HOOK_SECRET}` }, body: JSON.stringify(body) });

  it('lists the church\'s suppressed addresses (paged, capped), and an ADMIN lifts one (audited): the next email reaches it', async () => {
    const c = String(church.churchId);
    const bounced = nextEmail('sup-a');
    const spam = nextEmail('sup-b');
    const theirs = nextEmail('sup-c');
    const p1 = await person({ email: bounced });
    const p2 = await person({ email: spam.toUpperCase() });
    const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', { i: { churchId: String(other.churchId), firstName: 'O', lastName: 'T', email: theirs, status: 'MEMBER' } });
    expect(r.errors).toBeUndefined();
    expect((await hook({ events: [{ email: bounced, type: 'bounce', detail: '550 5.1.1 user unknown' }, { email: spam, type: 'complaint' }, { email: theirs, type: 'bounce' }] })).status).toBe(200);

    // only this church's addresses, by address, a page at a time
    const page1 = await s.gql(LIST, { c, first: 1 });
    expect(page1.errors).toBeUndefined();
    const mine = [bounced, spam].sort();
    expect(page1.data.emailSuppressions).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true }, nodes: [{ email: mine[0] }] });
    const page2 = await s.gql(LIST, { c, first: 5, after: page1.data.emailSuppressions.pageInfo.endCursor });
    expect(page2.data.emailSuppressions.nodes.map((n: { email: string }) => n.email)).toEqual([mine[1]]);
    const all = await s.gql(LIST, { c, first: 100 });
    const byEmail = new Map(all.data.emailSuppressions.nodes.map((n: { email: string }) => [n.email, n]));
    expect(byEmail.get(bounced)).toMatchObject({ reason: 'UNDELIVERABLE', detail: '550 5.1.1 user unknown', members: [{ id: p1 }] });
    expect(byEmail.get(spam)).toMatchObject({ reason: 'COMPLAINED', members: [{ id: p2 }] });
    expect(problem(await s.gql(LIST, { c, first: 101 }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });

    // roles: STAFF lists but does not lift; another church's address is NOT_FOUND, a bad one BAD_USER_INPUT
    const staff = await s.userWith('sup-staff@fixture.test', [[church.churchId, 'staff']]);
    const viewer = await s.userWith('sup-viewer@fixture.test', [[church.churchId, 'viewer']]);
    expect((await s.gql(LIST, { c }, staff.headers)).errors).toBeUndefined();
    expect(problem(await s.gql(LIST, { c }, viewer.headers)).code).toBe('FORBIDDEN');
    expect(problem(await s.gql(CLEAR, { c, e: bounced }, staff.headers)).code).toBe('FORBIDDEN');
    expect(problem(await s.gql(CLEAR, { c, e: theirs }))).toMatchObject({ code: 'NOT_FOUND', field: 'email' });
    expect(problem(await s.gql(CLEAR, { c, e: 'not an address' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    expect((await s.database.sql`SELECT 1 FROM email_suppressions WHERE email = ${theirs}`).length).toBe(1);

    // before: the send skips it; lifted (any case) and audited; after: the server gets the email
    const pv = await s.gql(PREVIEW, { c, channel: 'EMAIL', subject: 'x', body: 'y', a: { memberIds: [p1] } });
    expect(pv.data.previewMessage.recipientCount).toBe(0);
    const admin = await s.userWith('sup-admin@fixture.test', [[church.churchId, 'admin']]);
    const cleared = await s.gql(CLEAR, { c, e: bounced.toUpperCase() }, admin.headers);
    expect(cleared.errors).toBeUndefined();
    expect(cleared.data.clearEmailSuppression).toEqual({ email: bounced, reason: 'UNDELIVERABLE' });
    expect(problem(await s.gql(CLEAR, { c, e: bounced }, admin.headers))).toMatchObject({ code: 'NOT_FOUND', field: 'email' });
    const logged = await s.database.sql<{ action: string; actor_user_id: number; changes: Record<string, unknown[]> }[]>`
      SELECT action, actor_user_id, changes FROM audit_log WHERE entity = 'EmailSuppression' AND entity_id = ${bounced}`;
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ action: 'clear', actor_user_id: admin.id });
    expect(logged[0]!.changes.reason).toEqual(['undeliverable', null]);
    expect((await s.gql(LIST, { c })).data.emailSuppressions.totalCount).toBe(1);

    const sent = await s.gql(SEND, { c, channel: 'EMAIL', subject: 'Back again', body: 'Hello', a: { memberIds: [p1, p2] } });
    expect(sent.errors).toBeUndefined();
    await smtp.waitForCount(1);
    await settled(sent.data.sendMessage.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.received.map((x) => x.to.join(','))).toEqual([bounced]);
  });
});

describe("the church's From name and Reply-To", () => {
  const UPDATE = `mutation($id: ID!, $i: UpdateChurchInput!) { updateChurch(id: $id, input: $i) { emailFromName emailReplyTo } }`;

  it('are validated, set by an ADMIN, and used by the worker; cleared, the From is the church\'s name again and no Reply-To', async () => {
    const id = String(church.churchId);
    expect(problem(await s.gql(UPDATE, { id, i: { emailReplyTo: 'not an address' } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.emailReplyTo' });
    expect(problem(await s.gql(UPDATE, { id, i: { emailFromName: 'Grace\r\nBcc: all@example.org' } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.emailFromName' });
    expect(problem(await s.gql(UPDATE, { id, i: { emailFromName: 'x'.repeat(101) } }))).toMatchObject({ field: 'input.emailFromName' });
    const staff = await s.userWith('from-staff@fixture.test', [[church.churchId, 'staff']]);
    expect(problem(await s.gql(UPDATE, { id, i: { emailFromName: 'Staff name' } }, staff.headers)).code).toBe('FORBIDDEN');
    const set = await s.gql(UPDATE, { id, i: { emailFromName: 'Grace Chapel Office', emailReplyTo: 'Pastor@Grace.example' } });
    expect(set.errors).toBeUndefined();
    expect(set.data.updateChurch).toEqual({ emailFromName: 'Grace Chapel Office', emailReplyTo: 'pastor@grace.example' });

    const addr = nextEmail('from');
    const p = await person({ email: addr });
    const sent = await s.gql(SEND, { c: id, channel: 'EMAIL', subject: 'From the office', body: 'Hello', a: { memberIds: [p] } });
    expect(sent.errors).toBeUndefined();
    await smtp.waitForCount(1);
    await settled(sent.data.sendMessage.id);
    const mail = smtp.received[0]!;
    expect(mail.headers.get('from')).toBe('Grace Chapel Office <office@grace.example>');
    expect(mail.headers.get('reply-to')).toBe('pastor@grace.example');
    // the envelope sender stays the service's address (SPF/DKIM are its domain's)
    expect(mail.from).toBe('office@grace.example');

    smtp.reset();
    const cleared = await s.gql(UPDATE, { id, i: { emailFromName: null, emailReplyTo: null } });
    expect(cleared.data.updateChurch).toEqual({ emailFromName: null, emailReplyTo: null });
    const again = await s.gql(SEND, { c: id, channel: 'EMAIL', subject: 'From the church', body: 'Hello', a: { memberIds: [p] } });
    await smtp.waitForCount(1);
    await settled(again.data.sendMessage.id);
    expect(smtp.received[0]!.headers.get('from')).toBe('Grace Chapel <office@grace.example>');
    expect(smtp.received[0]!.headers.has('reply-to')).toBe(false);
  });
});
