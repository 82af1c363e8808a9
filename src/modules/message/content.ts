import type { Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { parseTemplate, type ParsedTemplate } from './merge-fields.js';

/** An email's limits: shared by sendMessage(channel: EMAIL) and email templates. */
export const SUBJECT_MAX = 200;
export const EMAIL_BODY_MAX = 50_000;
/** A text's body (message.service.ts BODY_MAX) and an SMS template's. */
export const TEXT_BODY_MAX = 1600;

/**
 * A subject or body as written: not blank, storable, within `max`, one line for a subject, and
 * its merge fields well formed (whether the custom ones exist is custom-merge.ts's check).
 * Problems are added on `field`; the parsed template is returned when there are none.
 */
export function checkContent(
  p: Problems,
  field: string,
  value: unknown,
  o: { max: number; oneLine?: boolean; blank?: string },
): ParsedTemplate | undefined {
  if (typeof value !== 'string' || value.trim().length === 0) {
    p.add(field, o.blank ?? 'cannot be blank');
    return undefined;
  }
  if (o.oneLine && /[\r\n]/.test(value)) p.add(field, 'must be one line');
  else if (v.unstorable(value)) p.add(field, v.unstorable(value)!);
  else if ([...value].length > o.max) p.add(field, `must be at most ${o.max} characters`);
  else {
    const parsed = parseTemplate(value);
    if ('problem' in parsed) p.add(field, parsed.problem.message);
    else return parsed;
  }
  return undefined;
}
