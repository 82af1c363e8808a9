import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio's request signature (X-Twilio-Signature): base64 HMAC-SHA1, keyed with the auth token,
 * of the full URL Twilio called followed by every POST parameter name and value, sorted by name.
 * Implemented here so the API does not load the Twilio SDK; tests check it against the SDK's.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => {
      const v = params[key];
      const values = Array.isArray(v) ? [...v].sort() : [v ?? ''];
      return acc + values.map((x) => key + x).join('');
    }, url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function validTwilioSignature(authToken: string, signature: string | undefined, url: string, params: Record<string, string | string[]>): boolean {
  if (!signature) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
