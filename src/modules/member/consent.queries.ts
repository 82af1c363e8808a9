import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';

/**
 * Whether a number may not be texted in a church: it replied STOP (sms_consents, kept per number
 * whoever holds it), or a member holding it is opted out (a staff opt-out, or STOP before
 * consent was kept per number). Both probes are index lookups (sms_consents_pkey,
 * members_church_phone_idx). Used by the worker before each send and by audiences.
 */
export function phoneOptedOutSql(churchId: SQL, phone: SQL): SQL {
  return sql`(EXISTS (SELECT 1 FROM sms_consents c WHERE c.church_id = ${churchId} AND c.phone = ${phone} AND c.opted_out_at IS NOT NULL)
    OR EXISTS (SELECT 1 FROM members o WHERE o.church_id = ${churchId} AND o.phone = ${phone} AND o.sms_opted_out_at IS NOT NULL))`;
}

export interface PhoneOptOut {
  optedOutAt: Date;
  via: string;
}

/** Numbers of a church that replied STOP (and have not replied START since), among `phones`. */
export async function optedOutPhones(db: Queryable, churchId: number, phones: readonly string[]): Promise<Map<string, PhoneOptOut>> {
  const list = [...new Set(phones)];
  if (!list.length) return new Map();
  const rows = await db.execute<{ phone: string; opted_out_at: string | Date; via: string }>(sql`
    SELECT phone, opted_out_at, via FROM sms_consents
    WHERE church_id = ${churchId} AND phone = ANY(string_to_array(${list.join(',')}, ',')) AND opted_out_at IS NOT NULL`);
  return new Map(rows.map((r) => [r.phone, { optedOutAt: new Date(r.opted_out_at), via: r.via }]));
}
