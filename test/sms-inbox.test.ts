import type { Job } from 'bullmq';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { parseWindow } from '../src/modules/message/quiet-hours.js';
import type { ProgressPublisher } from '../src/realtime/publisher.js';
import { createSendSmsHandler } from '../worker/handlers/send-sms.handler.js';
import { createTwilioProvider } from '../worker/sms/twilio.js';
import { startFakeTwilio, twilioEnv, type FakeTwilio } from './helpers/fake-twilio.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { partitionsRead, seqScanOn } from './helpers/plans.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe } from './helpers/ws.js';

// The inbox (src/modules/conversation): a text that is not a keyword lands in the conversation of
// (church, number), once per MessageSid; staff reply through the same outbox and worker; the
// church's subscribers hear of it, nobody else's.
let fake: FakeTwilio;
let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;
const A_FROM = '+13125550610';
const B_FROM = '+13125550611';
let sidSeq = 0;
const newSid = () => `SM${String(++sidSeq).padStart(32, '0')}`;
let phoneSeq = 0;
const newPhone = () => `+1312556${String(1000 + phoneSeq++).padStart(4, '0')}`;

async function inbound(from: string, body: string, opts: { to?: string; sid?: string } = {}) {
  const params = { From: from, To: opts.to ?? A_FROM, Body: body, MessageSid: opts.sid ?? newSid(), AccountSid: fake.accountSid };
  const url = `${s.config.publicUrl}/webhooks/twilio/inbound`;
  const res = await fetch(`${s.url}/webhooks/twilio/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(fake.authToken, url, params) },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text() };
}

async function person(churchId: number, phone: string, firstName = 'Maria'): Promise<string> {
  const r = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
    i: { churchId: String(churchId), firstName, lastName: 'Inbox', phone, status: 'MEMBER' },
  });
  expect(r.errors).toBeUndefined();
  return r.data.createMember.id;
}

function handler() {
  return createSendSmsHandler({
    db: s.database.db,
    provider: createTwilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url, timeoutMs: 300 }),
    progress: { touch() {} } as unknown as ProgressPublisher,
    log: createLogger('silent'),
    window: parseWindow('00:00', '24:00'),
    leaseS: 30,
    statusCallback: undefined,
  });
}
const attempt = (data: object, n: number): Job => ({ data, attemptsMade: n, opts: { attempts: 3 }, moveToDelayed: async () => {} }) as unknown as Job;

/** The job payloads of a message's queued recipients (what the worker would be handed). */
async function jobsOf(messageId: number) {
  const rows = await s.database.sql<{ id: number; church_id: number }[]>`
    SELECT id, church_id FROM message_recipients WHERE message_id = ${messageId} AND status = 'queued' ORDER BY id`;
  return rows.map((r) => ({ recipientId: r.id, messageId, churchId: r.church_id, round: 0 }));
}

async function conversationOf(churchId: number, phone: string) {
  const [c] = await s.database.sql<{ id: number; unread_count: number; state: string }[]>`
    SELECT id, unread_count, state FROM conversations WHERE church_id = ${churchId} AND phone = ${phone}`;
  return c;
}

const THREAD = `query($id: ID!, $first: Int, $after: String) { conversation(id: $id) { id phone state unreadCount unknown
  members { id firstName } messages(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id direction body status author { id } message { id } } } } }`;

beforeAll(async () => {
  fake = await startFakeTwilio();
  s = await startTestServer('issue14a-inbox', { ...twilioEnv(fake), SMS_WINDOW_START: '00:00', SMS_WINDOW_END: '24:00' });
  a = await seedChurch(s, { members: 0, name: 'Inbox Church A' });
  b = await seedChurch(s, { members: 0, name: 'Inbox Church B' });
  await s.database.sql`UPDATE churches SET sms_from_number = ${A_FROM} WHERE id = ${a.churchId}`;
  await s.database.sql`UPDATE churches SET sms_from_number = ${B_FROM} WHERE id = ${b.churchId}`;
}, 60_000);

afterAll(async () => {
  await s?.close();
  await fake?.close();
});

describe('inbound texts become conversations', () => {
  it('a reply from a member lands once in the right church, with the bulk text it answers', async () => {
    const phone = newPhone();
    const maria = await person(a.churchId, phone);
    await person(b.churchId, phone, 'Other'); // the same number in church B: B's inbox must stay empty
    const sent = await s.gql('mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "Hi {firstName}, picnic at 3", audience: { memberIds: $m }, urgent: true) { id } }', {
      c: String(a.churchId),
      m: [maria],
    });
    expect(sent.errors).toBeUndefined();
    for (const j of await jobsOf(Number(sent.data.sendMessage.id))) await expect(handler()(attempt(j, 0))).resolves.toBe('sent');

    const sid = newSid();
    const first = await inbound(phone, 'Can I bring a friend?', { sid });
    const again = await inbound(phone, 'Can I bring a friend?', { sid }); // Twilio retried the webhook
    for (const r of [first, again]) {
      expect(r.status).toBe(200);
      expect(r.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    }
    expect(await conversationOf(b.churchId, phone)).toBeUndefined();
    const conv = (await conversationOf(a.churchId, phone))!;
    expect(conv).toMatchObject({ unread_count: 1, state: 'open' });

    const r = await s.gql(THREAD, { id: String(conv.id) });
    expect(r.errors).toBeUndefined();
    const c = r.data.conversation;
    expect(c).toMatchObject({ phone, unreadCount: 1, unknown: false, members: [{ id: maria, firstName: 'Maria' }] });
    // oldest first: the bulk text (as Maria got it), then her reply, once
    expect(c.messages.nodes.map((m: any) => [m.direction, m.body])).toEqual([
      ['OUTBOUND', 'Hi Maria, picnic at 3'],
      ['INBOUND', 'Can I bring a friend?'],
    ]);
    expect(c.messages.nodes[0]).toMatchObject({ status: 'SENT', message: { id: sent.data.sendMessage.id } });
    const list = await s.gql('query($c: ID!) { conversations(churchId: $c, unread: true) { totalCount nodes { id } } }', { c: String(a.churchId) });
    expect(list.data.conversations.nodes.map((n: any) => n.id)).toContain(String(conv.id));
  });

  it('a text from a number nobody in the church holds is a conversation marked unknown', async () => {
    const phone = newPhone();
    expect((await inbound(phone, 'Who is this?')).status).toBe(200);
    const conv = (await conversationOf(a.churchId, phone))!;
    const r = await s.gql(THREAD, { id: String(conv.id) });
    expect(r.data.conversation).toMatchObject({ unknown: true, members: [] });
  });

  it('a text to a number no church owns is answered with nothing and writes nothing', async () => {
    const phone = newPhone();
    const before = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM conversation_messages`;
    const r = await inbound(phone, 'Hello?', { to: '+13125550699' });
    expect(r).toEqual({ status: 200, text: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>' });
    const after = await s.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM conversation_messages`;
    expect(after[0]!.n).toBe(before[0]!.n);
    expect(await s.database.sql`SELECT 1 FROM conversations WHERE phone = ${phone}`).toHaveLength(0);
  });

  it('keywords stay consent, not conversation', async () => {
    const phone = newPhone();
    await person(a.churchId, phone);
    expect((await inbound(phone, 'STOP')).text).toMatch(/unsubscribed/);
    expect(await conversationOf(a.churchId, phone)).toBeUndefined();
  });

  it('a later bulk text to the number joins its thread; the thread pages oldest to newest', async () => {
    const phone = newPhone();
    const id = await person(a.churchId, phone, 'Paging');
    await inbound(phone, 'one');
    await inbound(phone, 'two');
    const sent = await s.gql('mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "Bulk to {fullName}", audience: { memberIds: $m }, urgent: true) { id } }', {
      c: String(a.churchId),
      m: [id],
    });
    expect(sent.errors).toBeUndefined();
    await inbound(phone, 'three');
    const conv = (await conversationOf(a.churchId, phone))!;
    const p1 = await s.gql(THREAD, { id: String(conv.id), first: 2 });
    expect(p1.data.conversation.messages.nodes.map((m: any) => m.body)).toEqual(['one', 'two']);
    expect(p1.data.conversation.messages.pageInfo.hasNextPage).toBe(true);
    const p2 = await s.gql(THREAD, { id: String(conv.id), first: 2, after: p1.data.conversation.messages.pageInfo.endCursor });
    expect(p2.data.conversation.messages.nodes.map((m: any) => [m.body, m.status])).toEqual([
      ['Bulk to Paging Inbox', 'QUEUED'],
      ['three', null],
    ]);
    expect(p2.data.conversation.messages.totalCount).toBe(4);
  });
});

describe('staff work the inbox', () => {
  it('a reply is sent exactly once though the worker died mid-send, and shows in the thread', async () => {
    const phone = newPhone();
    await person(a.churchId, phone, 'Reply');
    await inbound(phone, 'What time is choir?');
    const conv = (await conversationOf(a.churchId, phone))!;
    const r = await s.gql('mutation($id: ID!) { replyToConversation(id: $id, body: "7pm Thursday", urgent: true) { id direction body status message { id } } }', {
      id: String(conv.id),
    });
    expect(r.errors).toBeUndefined();
    expect(r.data.replyToConversation).toMatchObject({ direction: 'OUTBOUND', body: '7pm Thursday', status: 'QUEUED' });
    expect((await conversationOf(a.churchId, phone))!.unread_count).toBe(0);
    const [job] = await jobsOf(Number(r.data.replyToConversation.message.id));
    // the first attempt's connection drops after Twilio accepted the text (a worker killed mid-send
    // looks the same to the next attempt: the outcome is unknown); the next attempt finds it there
    fake.failNext(1, 'drop-after-accept');
    await expect(handler()(attempt(job!, 0))).rejects.toMatchObject({ kind: 'unknown' });
    await expect(handler()(attempt(job!, 1))).resolves.toBe('reconciled');
    await expect(handler()(attempt(job!, 2))).resolves.not.toBe('sent');
    expect(fake.messages.filter((m) => m.to === phone).map((m) => m.body)).toEqual(['7pm Thursday']);
    const t = await s.gql(THREAD, { id: String(conv.id) });
    expect(t.data.conversation.messages.nodes.map((m: any) => [m.direction, m.body])).toEqual([
      ['INBOUND', 'What time is choir?'],
      ['OUTBOUND', '7pm Thursday'],
    ]);
    expect(['SENT', 'DELIVERED']).toContain(t.data.conversation.messages.nodes[1].status);
  });

  it('a reply to a number that opted out is refused; a VIEWER cannot reply', async () => {
    const phone = newPhone();
    await inbound(phone, 'hello');
    const conv = (await conversationOf(a.churchId, phone))!;
    const viewer = await s.userWith(`inbox-viewer-${process.pid}@example.org`, [[a.churchId, 'viewer']]);
    const asViewer = await s.gql('mutation($id: ID!) { replyToConversation(id: $id, body: "hi") { id } }', { id: String(conv.id) }, viewer.headers);
    expect(asViewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await inbound(phone, 'STOP');
    const r = await s.gql('mutation($id: ID!) { replyToConversation(id: $id, body: "hi") { id } }', { id: String(conv.id) });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const blank = await s.gql('mutation($id: ID!) { replyToConversation(id: $id, body: "  ") { id } }', { id: String(conv.id) });
    expect(blank.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
  });

  it('assign, close, reopen and mark read; the list filters by each', async () => {
    const phone = newPhone();
    await inbound(phone, 'assign me');
    const conv = (await conversationOf(a.churchId, phone))!;
    const staff = await s.userWith(`inbox-staff-${process.pid}@example.org`, [[a.churchId, 'staff']]);
    const outsider = await s.userWith(`inbox-outsider-${process.pid}@example.org`, [[b.churchId, 'staff']]);
    const id = String(conv.id);
    const bad = await s.gql('mutation($id: ID!, $u: ID) { assignConversation(id: $id, userId: $u) { id } }', { id, u: String(outsider.id) });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
    const r = await s.gql('mutation($id: ID!, $u: ID) { assignConversation(id: $id, userId: $u) { assignee { id } } }', { id, u: String(staff.id) });
    expect(r.data.assignConversation.assignee.id).toBe(String(staff.id));
    const mine = await s.gql('query($c: ID!, $u: ID) { conversations(churchId: $c, assigneeId: $u) { nodes { id } } }', { c: String(a.churchId), u: String(staff.id) });
    expect(mine.data.conversations.nodes).toEqual([{ id }]);
    const closed = await s.gql('mutation($id: ID!) { setConversationState(id: $id, state: CLOSED) { state } }', { id });
    expect(closed.data.setConversationState.state).toBe('CLOSED');
    const closedList = await s.gql('query($c: ID!) { conversations(churchId: $c, state: CLOSED) { nodes { id } } }', { c: String(a.churchId) });
    expect(closedList.data.conversations.nodes).toEqual([{ id }]);
    const read = await s.gql('mutation($id: ID!) { markConversationRead(id: $id) { unreadCount } }', { id });
    expect(read.data.markConversationRead.unreadCount).toBe(0);
    await inbound(phone, 'me again'); // a new text reopens it
    expect(await conversationOf(a.churchId, phone)).toMatchObject({ state: 'open', unread_count: 1 });
    // paging the whole list: every conversation once, newest activity first
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: any = await s.gql('query($c: ID!, $a: String) { conversations(churchId: $c, first: 2, after: $a) { pageInfo { hasNextPage endCursor } nodes { id } } }', {
        c: String(a.churchId),
        a: after,
      });
      seen.push(...page.data.conversations.nodes.map((n: any) => n.id));
      if (!page.data.conversations.pageInfo.hasNextPage) break;
      after = page.data.conversations.pageInfo.endCursor;
    }
    expect(seen[0]).toBe(id);
    expect(new Set(seen).size).toBe(seen.length);
    const [{ n }] = await s.database.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM conversations WHERE church_id = ${a.churchId}`;
    expect(seen).toHaveLength(n);
  });
});

describe('live inbox', () => {
  it("a subscriber of the church hears the text; another church's subscriber hears nothing", async () => {
    const phone = newPhone();
    const staffB = await s.userWith(`inbox-b-${process.pid}@example.org`, [[b.churchId, 'admin']]);
    const viewerA = await s.userWith(`inbox-a-${process.pid}@example.org`, [[a.churchId, 'viewer']]);
    const Q = 'subscription($c: ID!) { inboxMessageReceived(churchId: $c) { id body direction conversation { phone } } }';
    const own = subscribe(s.url, Q, { c: String(a.churchId) }, { headers: viewerA.headers, timeoutMs: 4000 });
    const otherOwn = subscribe(s.url, Q, { c: String(b.churchId) }, { headers: staffB.headers, timeoutMs: 2500 });
    const intoA = subscribe(s.url, Q, { c: String(a.churchId) }, { headers: staffB.headers, timeoutMs: 2500 });
    const updates = subscribe(s.url, 'subscription($c: ID!) { conversationUpdated(churchId: $c) { phone unreadCount } }', { c: String(a.churchId) }, {
      headers: viewerA.headers,
      timeoutMs: 4000,
    });
    await new Promise((r) => setTimeout(r, 700));
    await inbound(phone, 'Secret prayer request');
    const [mine, theirs, sneaky, upd] = await Promise.all([own, otherOwn, intoA, updates]);
    expect(mine.errors).toEqual([]);
    expect(mine.events[0]!.inboxMessageReceived).toMatchObject({ body: 'Secret prayer request', direction: 'INBOUND', conversation: { phone } });
    expect(upd.events[0]!.conversationUpdated).toMatchObject({ phone, unreadCount: 1 });
    expect(theirs.events).toEqual([]);
    expect(theirs.raw).not.toContain('Secret prayer');
    expect(sneaky.events).toEqual([]);
    expect(sneaky.errors[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(sneaky.raw).not.toContain('Secret prayer');
  });
});

describe('plans', () => {
  it('the thread reads its own rows by index and each outbound text from its own month', async () => {
    const phone = newPhone();
    const id = await person(a.churchId, phone, 'Plan');
    await inbound(phone, 'plan me');
    await s.gql('mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "Plan text", audience: { memberIds: $m }, urgent: true) { id } }', { c: String(a.churchId), m: [id] });
    const conv = (await conversationOf(a.churchId, phone))!;
    // a busy inbox: 300 other conversations of 20 texts each
    await s.database.sql`
      WITH c AS (INSERT INTO conversations (church_id, phone)
                 SELECT ${b.churchId}, '+1555' || lpad(g::text, 7, '0') FROM generate_series(1, 300) g RETURNING id)
      INSERT INTO conversation_messages (church_id, conversation_id, direction, body, provider_sid)
      SELECT ${b.churchId}, c.id, 'inbound', 'filler', 'SMfill' || c.id || 'x' || n FROM c, generate_series(1, 20) n`;
    await s.database.sql`ANALYZE conversation_messages`;
    const [row] = await s.database.sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON)
      SELECT cm.id, r.status FROM conversation_messages cm
      LEFT JOIN message_recipients r ON r.id = cm.recipient_id AND r.created_at = cm.recipient_created_at
      WHERE cm.conversation_id = ${conv.id} AND cm.church_id = ANY('{${a.churchId}}'::int[]) ORDER BY cm.id LIMIT 21`);
    const plan = JSON.stringify(Object.values(row as object)[0]);
    expect(seqScanOn(plan, 'message_recipients')).toBe(false);
    expect(plan).toContain('conversation_messages_thread_idx');
    // only the month holding the text is opened
    expect(partitionsRead(plan, 'message_recipients').length).toBeLessThanOrEqual(1);
  });

  it('each filter of the conversation list is served by an index in its order (no sort, no seq scan)', async () => {
    // a church with a big inbox among 40 smaller ones: 20,000 conversations of every state
    const big = await seedChurch(s, { members: 0 });
    const small = await Promise.all(Array.from({ length: 39 }, () => seedChurch(s, { members: 0 })));
    for (const c of [big, ...small]) {
      const n = c === big ? 10_000 : 250;
      await s.database.sql`
        INSERT INTO conversations (church_id, phone, state, unread_count, last_activity_at)
        SELECT ${c.churchId}, '+1777' || lpad(g::text, 7, '0'), CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END::conversation_state,
               CASE WHEN g % 7 = 0 THEN 1 ELSE 0 END, now() - g * interval '1 minute'
        FROM generate_series(1, ${n}) g`;
    }
    await s.database.sql`ANALYZE conversations`;
    const base = `SELECT c.id FROM conversations c WHERE c.church_id = ${big.churchId}`;
    // as pageConversations orders (the indexes are DESC NULLS LAST)
    const order = 'ORDER BY c.last_activity_at DESC NULLS LAST, c.id DESC NULLS LAST LIMIT 21';
    for (const [where, index] of [
      ['', 'conversations_church_activity_idx'],
      ["AND c.state = 'open'", 'conversations_church_state_idx'],
      ['AND c.assignee_id = 1', 'conversations_church_assignee_idx'],
      ['AND c.unread_count > 0', 'conversations_church_unread_idx'],
    ] as const) {
      const [row] = await s.database.sql.unsafe(`EXPLAIN (FORMAT JSON) ${base} ${where} ${order}`);
      const plan = JSON.stringify(Object.values(row as object)[0]);
      expect(plan, where).toContain(index);
      expect(plan, where).not.toContain('"Sort"');
      expect(seqScanOn(plan, 'conversations'), where).toBe(false);
    }
  });
});
