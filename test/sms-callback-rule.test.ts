import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as r from '../src/modules/message/recipient.queries.js';
import type { CallbackTag } from '../src/sms/callback-tag.js';
import { callbackUrl, parseCallbackTag } from '../src/sms/callback-tag.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// The rule that ties a provider's status report to a recipient (applyProviderStatus), driven step by
// step through the recipient state machine: every interleaving here is written out, none is timed.
// No worker runs: this file plays the worker's part with the same queries.

let s: TestServer;
let church: SeededChurch;
let seq = 0;
const LEASE_S = 30;

beforeAll(async () => {
  s = await startTestServer('sms-callback-rule');
  church = await seedChurch(s, { members: 0 });
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550170' WHERE id = ${church.churchId}`;
}, 60_000);

afterAll(async () => {
  await s?.close();
});

/** A fresh recipient, queued, as sendMessage leaves it. */
async function recipient(): Promise<number> {
  const phone = `+1312555${String(7000 + seq++).padStart(4, '0')}`;
  const m = await s.gql('mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
    i: { churchId: String(church.churchId), firstName: 'Rule', lastName: phone, phone, status: 'MEMBER' },
  });
  expect(m.errors).toBeUndefined();
  const sent = await s.gql('mutation($c: ID!, $m: [ID!]) { sendMessage(churchId: $c, body: "Rule", audience: { memberIds: $m }, urgent: true) { id } }', {
    c: String(church.churchId),
    m: [m.data.createMember.id],
  });
  expect(sent.errors).toBeUndefined();
  const [row] = await s.database.sql<{ id: number }[]>`SELECT id FROM message_recipients WHERE message_id = ${Number(sent.data.sendMessage.id)}`;
  return row!.id;
}

async function claim(id: number) {
  // an earlier attempt's lease "ends" the way releaseUnknown ends it: now
  const c = await r.claimRecipient(s.database.db, id, LEASE_S);
  expect(c, `claim of ${id}`).not.toBeNull();
  return { claim: c!, tag: { recipientId: id, attempt: c!.attempts, episode: c!.episode } satisfies CallbackTag };
}

async function row(id: number) {
  const [x] = await s.database.sql<{ status: string; provider_sid: string | null; attempts: number; error_code: string | null; error_message: string | null }[]>`
    SELECT status, provider_sid, attempts, error_code, error_message FROM message_recipients WHERE id = ${id}`;
  return x!;
}

describe('which recipient a status report is for', () => {
  it('a reconciled retry: the report of the first attempt is applied after the second recorded its text (10.12)', async () => {
    const id = await recipient();
    const first = await claim(id);
    // the provider accepted SM1 but the answer was lost: outcome unknown
    await r.releaseUnknown(s.database.db, id, null, 'ECONNRESET: socket hang up');
    const second = await claim(id);
    expect(second.claim.previousStatus).toBe('sending');
    expect(second.claim.episode).toBe(first.claim.episode);
    // the second attempt found SM1 at the provider and recorded it
    expect(await r.markSent(s.database.db, id, 'SM1reconciled', 'queued')).toBe(true);
    // SM1's callbacks name the first attempt ('sent' is what the row says already: nothing to do)
    expect(await r.applyProviderStatus(s.database.db, 'SM1reconciled', 'sent', 'sent', null, first.tag)).toBeNull();
    expect(await r.applyProviderStatus(s.database.db, 'SM1reconciled', 'delivered', 'delivered', null, first.tag)).toMatchObject({ id, status: 'delivered', attempts: 2 });
    expect(await row(id)).toMatchObject({ status: 'delivered', provider_sid: 'SM1reconciled', attempts: 2 });
  });

  it('a report that beats the worker is applied by its tag; the worker record after it changes nothing (18.4)', async () => {
    const id = await recipient();
    const { tag } = await claim(id);
    expect(await r.applyProviderStatus(s.database.db, 'SMearly', 'delivered', 'delivered', null, tag)).toMatchObject({ id, status: 'delivered' });
    expect(await r.markSent(s.database.db, id, 'SMearly', 'queued')).toBe(false);
    expect(await row(id)).toMatchObject({ status: 'delivered', provider_sid: 'SMearly' });
  });

  it('an earlier attempt of the same episode may report while a later one is still sending', async () => {
    const id = await recipient();
    const first = await claim(id);
    await r.releaseUnknown(s.database.db, id, null, 'timeout');
    await claim(id);
    expect(await r.applyProviderStatus(s.database.db, 'SMfirst', 'sent', 'sent', null, first.tag)).not.toBeNull();
    expect(await row(id)).toMatchObject({ status: 'sent', provider_sid: 'SMfirst' });
  });

  it('a late report of an older round never lands on the next round', async () => {
    const id = await recipient();
    const round1 = await claim(id);
    await r.markSent(s.database.db, id, 'SMround1', 'queued');
    const u = await r.applyProviderStatus(s.database.db, 'SMround1', 'undelivered', 'undelivered', '30003', round1.tag);
    expect(u).toMatchObject({ status: 'undelivered' });
    expect(await r.requeueForRetry(s.database.db, id)).toBe(1);
    const round2 = await claim(id);
    expect(round2.claim.episode).not.toBe(round1.claim.episode);
    // round 1's 'sent', delivered out of order, while round 2 is being sent: not round 2's
    expect(await r.applyProviderStatus(s.database.db, 'SMround1', 'sent', 'sent', null, round1.tag)).toBeNull();
    expect(await row(id)).toMatchObject({ status: 'sending', provider_sid: null });
    // …and without an episode (a URL of an older release) only that very attempt matched, as before
    expect(await r.applyProviderStatus(s.database.db, 'SMround1', 'sent', 'sent', null, { ...round1.tag, episode: null })).toBeNull();
    expect(await r.markSent(s.database.db, id, 'SMround2', 'queued')).toBe(true);
    expect(await r.applyProviderStatus(s.database.db, 'SMround2', 'delivered', 'delivered', null, round2.tag)).toMatchObject({ status: 'delivered' });
    // and once it has round 2's id, round 1's reports find nothing
    expect(await r.applyProviderStatus(s.database.db, 'SMround1', 'failed', 'failed', '30008', round1.tag)).toBeNull();
    expect(await row(id)).toMatchObject({ status: 'delivered', provider_sid: 'SMround2', attempts: 2 });
  });

  it('a report for another recipient, or a later attempt than the row has seen, is not applied', async () => {
    const a = await recipient();
    const b = await recipient();
    const ta = (await claim(a)).tag;
    await claim(b);
    expect(await r.applyProviderStatus(s.database.db, 'SMelsewhere', 'delivered', 'delivered', null, { ...ta, recipientId: b })).toBeNull();
    expect(await r.applyProviderStatus(s.database.db, 'SMfuture', 'delivered', 'delivered', null, { ...ta, attempt: ta.attempt + 1 })).toBeNull();
    expect(await row(b)).toMatchObject({ status: 'sending', provider_sid: null });
  });

  it('statuses still only move forward, by tag as by id', async () => {
    const id = await recipient();
    const { tag } = await claim(id);
    await r.applyProviderStatus(s.database.db, 'SMfwd', 'delivered', 'delivered', null, tag);
    expect(await r.applyProviderStatus(s.database.db, 'SMfwd', 'sent', 'sent', null, tag)).toBeNull();
    expect(await r.applyProviderStatus(s.database.db, 'SMfwd', 'undelivered', 'undelivered', '30005', tag)).toBeNull();
    expect(await row(id)).toMatchObject({ status: 'delivered', error_code: null });
  });
});

describe('errors of earlier attempts (10.15)', () => {
  it('a delivery reported before the worker recorded the send clears the error a retry left', async () => {
    const id = await recipient();
    await claim(id);
    await r.releaseUnsent(s.database.db, id, '20429', 'Too Many Requests');
    const { tag } = await claim(id);
    expect(await row(id)).toMatchObject({ error_code: '20429' });
    await r.applyProviderStatus(s.database.db, 'SMok', 'delivered', 'delivered', null, tag);
    expect(await row(id)).toMatchObject({ status: 'delivered', error_code: null, error_message: null });
  });

  it('an unknown outcome (ECONNRESET) then the text delivered: no error left', async () => {
    const id = await recipient();
    const { tag } = await claim(id);
    await r.releaseUnknown(s.database.db, id, null, 'ECONNRESET: socket hang up');
    await r.applyProviderStatus(s.database.db, 'SMreset', 'sent', 'sent', null, tag);
    expect(await row(id)).toMatchObject({ status: 'sent', error_code: null, error_message: null });
    await r.applyProviderStatus(s.database.db, 'SMreset', 'delivered', 'delivered', null);
    expect(await row(id)).toMatchObject({ status: 'delivered', error_code: null, error_message: null });
  });

  it('a final failure carries its own code, not an older one', async () => {
    const id = await recipient();
    await claim(id);
    await r.releaseUnsent(s.database.db, id, '20500', 'Internal Server Error');
    const { tag } = await claim(id);
    await r.markSent(s.database.db, id, 'SMbad', 'queued');
    await r.applyProviderStatus(s.database.db, 'SMbad', 'undelivered', 'undelivered', '30006', tag);
    expect(await row(id)).toMatchObject({ status: 'undelivered', error_code: '30006', error_message: null });
  });
});

describe('the callback URL', () => {
  it('round-trips the tag and refuses malformed ones', () => {
    const tag = { recipientId: 12, attempt: 3, episode: '1796156461936314' };
    const url = new URL(callbackUrl('https://api.example.org/webhooks/twilio/status', tag));
    expect(parseCallbackTag(Object.fromEntries(url.searchParams))).toEqual(tag);
    expect(parseCallbackTag({})).toBeUndefined();
    expect(parseCallbackTag({ rid: '12', n: '3' })).toEqual({ recipientId: 12, attempt: 3, episode: null });
    // with the message (its month of message_recipients): ?m=
    const withMessage = { recipientId: 12, messageId: 7, attempt: 3, episode: '1796156461936314' };
    const url2 = new URL(callbackUrl('https://api.example.org/webhooks/twilio/status', withMessage));
    expect(url2.searchParams.get('m')).toBe('7');
    expect(parseCallbackTag(Object.fromEntries(url2.searchParams))).toEqual(withMessage);
    for (const q of [
      { rid: 'x', n: '1' }, { rid: '1' }, { rid: '1', n: '1', e: '1.5' }, { rid: ['1', '2'], n: '1' }, { rid: '99999999999', n: '1' }, { rid: '0', n: '1' },
      { rid: '1', n: '1', m: '0' }, { rid: '1', n: '1', m: 'x' }, { rid: '1', n: '1', m: '99999999999' }, { m: '5' },
    ]) {
      expect(parseCallbackTag(q), JSON.stringify(q)).toBe('invalid');
    }
  });
});
