import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

// Twilio's webhooks given signed requests whose parameters are missing or malformed (10.11): each
// is a 400 with a short reason, logged as a warning without a stack, never a 500. Signed with the
// real SDK's signature function, so the signature is never what is being refused.

let s: TestServer;
const TOKEN = 'e'.repeat(32);

beforeAll(async () => {
  s = await startTestServer('webhook-input', {
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: 'AC' + '0'.repeat(32),
    TWILIO_AUTH_TOKEN: TOKEN,
    // no worker and no Twilio are needed: only the webhooks are asked
    TWILIO_API_URL: 'http://127.0.0.1:9',
  });
}, 60_000);

afterAll(async () => {
  await s?.close();
});

/** A signed POST. `form` undefined: no body at all; a string: sent as is with `type`. */
async function post(path: string, form: Record<string, string | string[]> | string | undefined, opts: { query?: string; type?: string; signedParams?: Record<string, string | string[]> } = {}) {
  const url = `${s.config.publicUrl}/webhooks/twilio/${path}${opts.query ?? ''}`;
  let body: string | undefined;
  let params: Record<string, string | string[]> = opts.signedParams ?? {};
  if (typeof form === 'string') body = form;
  else if (form) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) q.append(k, x);
    body = q.toString();
    params = opts.signedParams ?? form;
  }
  const headers: Record<string, string> = { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, url, params as Record<string, string>) };
  if (body !== undefined) headers['content-type'] = opts.type ?? 'application/x-www-form-urlencoded';
  const res = await fetch(`${s.url}/webhooks/twilio/${path}${opts.query ?? ''}`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

function watchLogs() {
  const warn = vi.spyOn(s.deps.log, 'warn');
  const error = vi.spyOn(s.deps.log, 'error');
  return {
    check(expectWarn: boolean) {
      expect(error).not.toHaveBeenCalled();
      if (expectWarn) expect(warn).toHaveBeenCalled();
      for (const call of warn.mock.calls) expect(JSON.stringify(call)).not.toMatch(/\n\s+at /);
      warn.mockRestore();
      error.mockRestore();
    },
  };
}

describe('Twilio webhooks: bad parameters are 400, not 500', () => {
  it('a signed status callback with an empty body', async () => {
    const logs = watchLogs();
    const r = await post('status', undefined);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^bad request: MessageSid is missing/);
    expect(r.text).not.toMatch(/\n\s+at /);
    logs.check(true);
  });

  it('a signed inbound message with an empty body', async () => {
    const logs = watchLogs();
    const r = await post('inbound', undefined);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^bad request: To is missing/);
    logs.check(true);
  });

  it('a body of another type (JSON) carries no form parameters', async () => {
    const r = await post('status', JSON.stringify({ MessageSid: 'SM1', MessageStatus: 'delivered' }), { type: 'application/json' });
    expect(r.status).toBe(400);
    const i = await post('inbound', '{"To":"+13125550100"}', { type: 'application/json' });
    expect(i.status).toBe(400);
  });

  it('missing, repeated and malformed status parameters name the parameter', async () => {
    const cases: Array<[Record<string, string | string[]>, RegExp, string?]> = [
      [{ MessageStatus: 'delivered' }, /MessageSid is missing/],
      [{ MessageSid: 'SM' + 'a'.repeat(32) }, /MessageStatus is missing/],
      [{ MessageSid: ['SM1', 'SM2'], MessageStatus: 'delivered' }, /MessageSid is given more than once/],
      [{ MessageSid: 'SM1; DROP', MessageStatus: 'delivered' }, /MessageSid is malformed/],
      [{ MessageSid: 'SM1', MessageStatus: 'deliv\u0000ered' }, /MessageStatus has control characters/],
      [{ MessageSid: 'SM1', MessageStatus: 'x'.repeat(40) }, /MessageStatus is longer than 32/],
      [{ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '3000x' }, /ErrorCode is malformed/],
      [{ MessageSid: 'SM1', MessageStatus: 'delivered' }, /rid and n/, '?rid=abc&n=1'],
      [{ MessageSid: 'SM1', MessageStatus: 'delivered' }, /rid and n/, '?rid=5'],
      [{ MessageSid: 'SM1', MessageStatus: 'delivered' }, /rid and n/, '?rid=5&n=1&e=-3'],
    ];
    for (const [form, reason, query] of cases) {
      const r = await post('status', form, { query });
      expect(r.status, JSON.stringify(form) + (query ?? '')).toBe(400);
      expect(r.text).toMatch(reason);
    }
  });

  it('malformed inbound parameters', async () => {
    for (const [form, reason] of [
      [{ From: '+13125550111', Body: 'STOP' }, /To is missing/],
      [{ To: '+13125550100', Body: 'STOP' }, /From is missing/],
      [{ To: '+13125550100', From: '+1 312 555', Body: 'STOP' }, /From is malformed/],
      [{ To: ['+13125550100', '+13125550101'], From: '+13125550111', Body: 'STOP' }, /To is given more than once/],
    ] as const) {
      const r = await post('inbound', form as Record<string, string | string[]>);
      expect(r.status, JSON.stringify(form)).toBe(400);
      expect(r.text).toMatch(reason);
    }
  });

  it('bodies the parser refuses answer 4xx without a stack', async () => {
    const logs = watchLogs();
    const big = await post('status', `MessageSid=SM1&Body=${'x'.repeat(70_000)}`);
    expect(big.status).toBe(413);
    expect(big.text).not.toMatch(/\n\s+at /);
    const charset = await post('status', 'MessageSid=SM1', { type: 'application/x-www-form-urlencoded; charset=klingon' });
    expect(charset.status).toBe(415);
    logs.check(true);
  });

  it('well-formed requests still work: unknown texts and non-final statuses are 204, inbound is TwiML', async () => {
    const logs = watchLogs();
    expect((await post('status', { MessageSid: 'SM' + 'b'.repeat(32), MessageStatus: 'delivered' }, { query: '?rid=1&n=1' })).status).toBe(204);
    expect((await post('status', { MessageSid: 'SM' + 'b'.repeat(32), MessageStatus: 'queued' })).status).toBe(204);
    expect((await post('status', { MessageSid: 'SM' + 'b'.repeat(32), MessageStatus: 'delivered', ErrorCode: '' })).status).toBe(204);
    const inbound = await post('inbound', { To: '+13125550100', From: '+13125550111', Body: '' });
    expect(inbound).toMatchObject({ status: 200, text: expect.stringContaining('<Response>') });
    logs.check(false);
  });

  it('a bad signature is still refused first, whatever the body', async () => {
    const res = await fetch(`${s.url}/webhooks/twilio/status`, { method: 'POST', headers: { 'x-twilio-signature': 'bm90LXZhbGlk' } });
    expect(res.status).toBe(403);
  });
});
