import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { mergeValues, parseTemplate, renderTemplate } from '../src/modules/message/merge-fields.js';
import { parseWindow } from '../src/modules/message/quiet-hours.js';
import { segmentsOf } from '../src/modules/message/segments.js';
import type { ProgressPublisher } from '../src/realtime/publisher.js';
import { createSendSmsHandler } from '../worker/handlers/send-sms.handler.js';
import { createTwilioProvider } from '../worker/sms/twilio.js';
import { startFakeTwilio, type FakeTwilio } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('the merge-field parser and renderer (pure)', () => {
  it('fills each known field', () => {
    const v = mergeValues({ firstName: 'Maria', lastName: 'Lopez' }, 'Grace Church');
    expect(renderTemplate('Hi {firstName} {lastName} ({fullName}) from {churchName}', v)).toBe('Hi Maria Lopez (Maria Lopez) from Grace Church');
    expect(renderTemplate('No fields at all', v)).toBe('No fields at all');
    expect(parseTemplate('{firstName}{firstName}')).toMatchObject({ fields: ['firstName'] });
  });

  it('names an unknown field and its position', () => {
    expect(parseTemplate('Hi {frstName}!')).toEqual({
      problem: { position: 4, field: '{frstName}', message: expect.stringMatching(/unknown merge field "\{frstName\}" at position 4/) },
    });
  });

  it('names an unbalanced brace and its position (code points, not UTF-16 units)', () => {
    expect(parseTemplate('🙂 Hi {firstName')).toMatchObject({ problem: { position: 6, field: '{firstName' } });
    expect(parseTemplate('Hi firstName} x')).toMatchObject({ problem: { position: 13, field: '}' } });
    expect(parseTemplate('{first{Name}}')).toMatchObject({ problem: { position: 1 } });
    expect(parseTemplate('{}')).toMatchObject({ problem: { field: '{}' } });
  });
});

// Per recipient at send time: the message keeps the template, each recipient row and each text at
// Twilio carry that person's words, and the preview's segment range is what was really sent.
let fake: FakeTwilio;
let s: TestServer;
let church: SeededChurch;
const FROM = '+13125550620';

const PREVIEW = `query($c: ID!, $b: String, $t: ID, $m: [ID!]) { previewMessage(churchId: $c, body: $b, templateId: $t, audience: { memberIds: $m }) {
  body encoding segments segmentRange { min max } longestText shortestText ucs2Texts totalSegments recipientCount estimatedCost } }`;
const SEND = `mutation($c: ID!, $b: String, $t: ID, $m: [ID!]) { sendMessage(churchId: $c, body: $b, templateId: $t, audience: { memberIds: $m }, urgent: true) {
  id body segments estimatedCost } }`;

async function person(firstName: string, lastName: string, phone: string): Promise<string> {
  const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
    i: { churchId: String(church.churchId), firstName, lastName, phone, status: 'MEMBER' },
  });
  expect(r.errors).toBeUndefined();
  return r.data.createMember.id;
}

function handler() {
  return createSendSmsHandler({
    db: s.database.db,
    provider: createTwilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url, timeoutMs: 1000 }),
    progress: { touch() {} } as unknown as ProgressPublisher,
    log: createLogger('silent'),
    window: parseWindow('00:00', '24:00'),
    leaseS: 30,
    statusCallback: undefined,
  });
}

async function sendAll(messageId: number) {
  const rows = await s.database.sql<{ id: number }[]>`SELECT id FROM message_recipients WHERE message_id = ${messageId} AND status = 'queued'`;
  for (const r of rows) {
    const job = { data: { recipientId: r.id, messageId, churchId: church.churchId, round: 0 }, attemptsMade: 0, opts: { attempts: 3 }, moveToDelayed: async () => {} };
    await expect(handler()(job as unknown as Job)).resolves.toBe('sent');
  }
}

let people: Record<string, { id: string; phone: string }>;

beforeAll(async () => {
  fake = await startFakeTwilio();
  s = await startTestServer('issue14a-merge', { SMS_WINDOW_START: '00:00', SMS_WINDOW_END: '24:00', SMS_PRICE_PER_SEGMENT: '0.01' });
  church = await seedChurch(s, { members: 0, name: 'Grace Church' });
  await s.database.sql`UPDATE churches SET sms_from_number = ${FROM} WHERE id = ${church.churchId}`;
  people = {
    al: { id: await person('Al', 'Ng', '+13125556201'), phone: '+13125556201' },
    long: { id: await person('Bartholomew-Alexander', 'Featherstonehaugh-Worthington', '+13125556202'), phone: '+13125556202' },
    zoe: { id: await person('Zoë', 'Smith', '+13125556203'), phone: '+13125556203' }, // ë is not GSM-7: her text is UCS-2
  };
}, 60_000);

afterAll(async () => {
  await s?.close();
  await fake?.close();
});

describe('merge fields in a send', () => {
  const BODY = 'Hi {firstName}! {churchName} meets Sunday at 10. Bring a friend, {fullName}; we would love to see you and your family there this week.';

  it('renders per recipient; the preview’s range, encoding and cost are those of the texts sent', async () => {
    const m = Object.values(people).map((p) => p.id);
    const p = await s.gql(PREVIEW, { c: String(church.churchId), b: BODY, m });
    expect(p.errors).toBeUndefined();
    const preview = p.data.previewMessage;
    const sent = await s.gql(SEND, { c: String(church.churchId), b: BODY, m });
    expect(sent.errors).toBeUndefined();
    expect(sent.data.sendMessage.body).toBe(BODY); // the message keeps the template
    await sendAll(Number(sent.data.sendMessage.id));

    const texts = Object.values(people).map((x) => fake.messages.find((t) => t.to === x.phone)!.body);
    expect(texts[0]).toBe('Hi Al! Grace Church meets Sunday at 10. Bring a friend, Al Ng; we would love to see you and your family there this week.');
    expect(texts[2]).toMatch(/^Hi Zoë! .* Zoë Smith;/);
    const rows = await s.database.sql<{ phone: string; body: string }[]>`
      SELECT phone, body FROM message_recipients WHERE message_id = ${Number(sent.data.sendMessage.id)} ORDER BY phone`;
    expect(rows.map((r) => r.body)).toEqual(texts);

    const segs = texts.map((t) => segmentsOf(t));
    expect(preview.segmentRange).toEqual({ min: Math.min(...segs.map((x) => x.segments)), max: Math.max(...segs.map((x) => x.segments)) });
    expect(preview.segmentRange.min).toBeLessThan(preview.segmentRange.max); // the names made a difference
    // longest and shortest by segments, then by length in the text's own encoding
    const weight = (i: number) => segs[i]!.segments * 1000 + segs[i]!.units;
    const order = [0, 1, 2].sort((x, y) => weight(x) - weight(y));
    expect(preview.shortestText).toBe(texts[order[0]!]);
    expect(preview.longestText).toBe(texts[order[2]!]);
    expect(segs[2]!.encoding).toBe('ucs2');
    expect(preview).toMatchObject({ encoding: 'UCS2', ucs2Texts: 1, recipientCount: 3, body: BODY });
    const total = segs.reduce((n, x) => n + x.segments, 0);
    expect(preview.totalSegments).toBe(total);
    expect(preview.estimatedCost).toBeCloseTo(total * 0.01, 6);
    expect(sent.data.sendMessage.estimatedCost).toBeCloseTo(total * 0.01, 6);
    expect(sent.data.sendMessage.segments).toBe(preview.segmentRange.max);
  });

  it('an unknown or unbalanced field is BAD_USER_INPUT naming it and its position; nothing is written', async () => {
    const before = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM messages`;
    for (const [b, re] of [
      ['Hi {frstName}', /unknown merge field "\{frstName\}" at position 4/],
      ['Hi {firstName', /"\{firstName" at position 4 is not closed/],
      ['Hi firstName}', /"\}" at position 13 closes no field/],
    ] as const) {
      for (const q of [PREVIEW, SEND]) {
        const r = await s.gql(q, { c: String(church.churchId), b, m: [people.al!.id] });
        expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
        expect(r.errors?.[0]?.message).toMatch(re);
      }
    }
    const after = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM messages`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('a body without fields is stored once, on the message', async () => {
    const sent = await s.gql(SEND, { c: String(church.churchId), b: 'Plain words', m: [people.al!.id] });
    const rows = await s.database.sql<{ body: string | null }[]>`SELECT body FROM message_recipients WHERE message_id = ${Number(sent.data.sendMessage.id)}`;
    expect(rows).toEqual([{ body: null }]);
  });
});

describe('saved templates', () => {
  const CREATE = 'mutation($i: CreateTemplateInput!) { createMessageTemplate(input: $i) { id name body channel archivedAt } }';
  const LIST = 'query($c: ID!, $a: Boolean, $f: Int, $after: String) { messageTemplates(churchId: $c, archived: $a, first: $f, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }';

  it('STAFF create, edit, archive and restore; VIEWER only reads; merge fields are checked on save', async () => {
    const c = String(church.churchId);
    const staff = await s.userWith(`tpl-staff-${process.pid}@example.org`, [[church.churchId, 'staff']]);
    const viewer = await s.userWith(`tpl-viewer-${process.pid}@example.org`, [[church.churchId, 'viewer']]);
    const bad = await s.gql(CREATE, { i: { churchId: c, name: 'Bad', body: 'Hi {nickname}' } }, staff.headers);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.body' });
    expect(bad.errors?.[0]?.message).toMatch(/\{nickname\}.*position 4/);
    const denied = await s.gql(CREATE, { i: { churchId: c, name: 'Nope', body: 'Hi' } }, viewer.headers);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const made = await s.gql(CREATE, { i: { churchId: c, name: 'Welcome', body: 'Welcome, {firstName}!' } }, staff.headers);
    expect(made.errors).toBeUndefined();
    expect(made.data.createMessageTemplate).toMatchObject({ name: 'Welcome', channel: 'SMS', archivedAt: null });
    const id = made.data.createMessageTemplate.id;
    const dup = await s.gql(CREATE, { i: { churchId: c, name: 'welcome', body: 'x' } }, staff.headers);
    expect(dup.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });

    const edited = await s.gql('mutation($id: ID!, $i: UpdateTemplateInput!) { updateMessageTemplate(id: $id, input: $i) { body } }', { id, i: { body: 'Welcome home, {firstName}!' } }, staff.headers);
    expect(edited.data.updateMessageTemplate.body).toBe('Welcome home, {firstName}!');
    const viewerEdit = await s.gql('mutation($id: ID!, $i: UpdateTemplateInput!) { updateMessageTemplate(id: $id, input: $i) { body } }', { id, i: { body: 'x' } }, viewer.headers);
    expect(viewerEdit.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // usable from preview and send
    const p = await s.gql(PREVIEW, { c, t: id, m: [people.al!.id] }, staff.headers);
    expect(p.data.previewMessage).toMatchObject({ body: 'Welcome home, {firstName}!', longestText: 'Welcome home, Al!' });
    const sent = await s.gql(SEND, { c, t: id, m: [people.al!.id] }, staff.headers);
    expect(sent.data.sendMessage.body).toBe('Welcome home, {firstName}!');
    const both = await s.gql(SEND, { c, t: id, b: 'x', m: [people.al!.id] }, staff.headers);
    expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'templateId' });

    const listed = await s.gql(LIST, { c }, viewer.headers);
    expect(listed.data.messageTemplates.nodes.map((n: any) => n.name)).toContain('Welcome');
    const archived = await s.gql('mutation($id: ID!) { archiveMessageTemplate(id: $id) { archivedAt } }', { id }, staff.headers);
    expect(archived.data.archiveMessageTemplate.archivedAt).not.toBeNull();
    const gone = await s.gql(SEND, { c, t: id, m: [people.al!.id] }, staff.headers);
    expect(gone.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'templateId' });
    expect((await s.gql(LIST, { c, a: true }, viewer.headers)).data.messageTemplates.nodes.map((n: any) => n.id)).toEqual([id]);
    const restored = await s.gql('mutation($id: ID!) { archiveMessageTemplate(id: $id, archived: false) { archivedAt } }', { id }, staff.headers);
    expect(restored.data.archiveMessageTemplate.archivedAt).toBeNull();
  });

  it('lists by name in keyset pages, each once', async () => {
    const c = String(church.churchId);
    for (const n of ['Zeta', 'alpha', 'Mid', 'beta', 'Omega']) {
      const r = await s.gql(CREATE, { i: { churchId: c, name: `Page ${n}`, body: `${n} {churchName}` } });
      expect(r.errors).toBeUndefined();
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const r: any = await s.gql(LIST, { c, f: 2, after });
      seen.push(...r.data.messageTemplates.nodes.map((n: any) => n.name));
      if (!r.data.messageTemplates.pageInfo.hasNextPage) break;
      after = r.data.messageTemplates.pageInfo.endCursor;
    }
    const pages = seen.filter((n) => n.startsWith('Page '));
    expect(pages).toEqual(['Page alpha', 'Page beta', 'Page Mid', 'Page Omega', 'Page Zeta']);
    const capped = await s.gql(LIST, { c, f: 101 });
    expect(capped.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it("another church's template is NOT_FOUND for its staff and cannot be sent from there", async () => {
    const other = await seedChurch(s, { members: 0 });
    await s.database.sql`UPDATE churches SET sms_from_number = '+13125550629' WHERE id = ${other.churchId}`;
    const t = await s.gql(CREATE, { i: { churchId: String(church.churchId), name: 'Private', body: 'Only ours' } });
    const outsider = await s.userWith(`tpl-out-${process.pid}@example.org`, [[other.churchId, 'admin']]);
    const edit = await s.gql('mutation($id: ID!) { archiveMessageTemplate(id: $id) { id } }', { id: t.data.createMessageTemplate.id }, outsider.headers);
    expect(edit.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await s.gql(LIST, { c: String(church.churchId) }, outsider.headers);
    expect(list.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('the list walks its partial index (live or archived) in its order', async () => {
    const big = await seedChurch(s, { members: 0 });
    await s.database.sql`
      INSERT INTO message_templates (church_id, name, body, archived_at)
      SELECT ${big.churchId}, 'Template ' || g, 'Body', CASE WHEN g % 5 = 0 THEN now() END FROM generate_series(1, 20000) g`;
    await s.database.sql`ANALYZE message_templates`;
    for (const live of [true, false]) {
      const [row] = await s.database.sql.unsafe(`EXPLAIN (FORMAT JSON) SELECT * FROM message_templates
        WHERE church_id = ${big.churchId} AND archived_at IS ${live ? 'NULL' : 'NOT NULL'} AND (lower(name), id) > ('template 1', 0)
        ORDER BY lower(name), id LIMIT 21`);
      const plan = JSON.stringify(Object.values(row as object)[0]);
      expect(plan).toContain(live ? 'message_templates_church_name_idx' : 'message_templates_church_archived_idx');
      expect(plan).not.toContain('"Sort"');
    }
  });
});
