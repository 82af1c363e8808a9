import { describe, expect, it } from 'vitest';
import { anotherRoundInMs, MAX_SEND_ROUNDS, providerOutcome, providerStatus, RETRYABLE_CARRIER_CODES } from '../src/delivery/status.js';
import { classifyTwilioErrorCode } from '../worker/sms/twilio.js';

// src/delivery/status.ts is the one place that says what a provider's word and a carrier's error
// code mean; the webhook, the send handler, the reconciler and the Twilio classifier all ask it.
describe('the delivery rule', () => {
  it("a provider's word: SENT, a final outcome, or nothing new", () => {
    expect(['sent', 'delivered', 'read', 'undelivered', 'failed', 'canceled', 'queued', 'accepted', 'sending'].map(providerStatus)).toEqual([
      'sent', 'delivered', 'delivered', 'undelivered', 'failed', 'failed', null, null, null,
    ]);
    expect(providerStatus('Delivered')).toBe('delivered');
    expect(providerOutcome('sent')).toBeNull();
    expect(providerOutcome('canceled')).toBe('failed');
  });

  it('another round only for a carrier hiccup on a text not delivered, while rounds are left, after 2 s, 4 s', () => {
    expect(anotherRoundInMs('undelivered', '30003', 1)).toBe(2000);
    expect(anotherRoundInMs('failed', '30001', 2)).toBe(4000);
    expect(anotherRoundInMs('undelivered', '30003', MAX_SEND_ROUNDS)).toBeNull();
    expect(anotherRoundInMs('delivered', '30003', 1)).toBeNull();
    expect(anotherRoundInMs('sent', '30003', 1)).toBeNull();
    expect(anotherRoundInMs('undelivered', '30007', 1)).toBeNull();
    expect(anotherRoundInMs('undelivered', null, 1)).toBeNull();
    expect(anotherRoundInMs('undelivered', '030003', 1)).toBeNull();
  });

  it('the Twilio classifier retries exactly those carrier codes (and 429)', () => {
    for (const code of RETRYABLE_CARRIER_CODES) expect(classifyTwilioErrorCode(code)).toBe('retry');
    expect(classifyTwilioErrorCode(20429)).toBe('retry');
    expect(classifyTwilioErrorCode(30007)).toBeNull();
  });
});
