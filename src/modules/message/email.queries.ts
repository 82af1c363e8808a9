import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import type { EmailSuppressionReason, RecipientStatus } from '../../db/schema/index.js';
import { intArray } from '../../db/sql.js';
import { customValuesOfClaim, type CustomValueTuple } from './custom-merge.js';
import { audienceWhereSql, type AudienceSpec } from './message.queries.js';
import { messageMonth, monthOf } from './recipient.queries.js';

/*
 * The email channel's SQL. Email recipients are rows of message_recipients (channel 'email',
 * `email` instead of `phone`), so the outbox, the sweeper, the counts, the progress and the months
 * (src/db/partitions.ts) are the texts'. What differs is here: the audience's consent and
 * suppression checks, the claim (what an email needs), and the record of an accepted email.
 *
 * An email's life: queued ─claim─► sending ─the mail server answered 250─► delivered
 *   sending ─the message was handed over (DATA's final dot) but no answer came (worker killed,
 *   timeout)─► unconfirmed: never sent again (SMTP has no way to ask whether it arrived)
 *   delivered ─a bounce reported to the webhook─► undelivered
 * "Handed over" is provider_check_since: written, while the worker still holds the row, before the
 * final dot of the SMTP transaction (worker/handlers/send-email.handler.ts).
 */

/** A person opted out of email in the church, or their address is (email_consents; both index probes). */
export function emailOptedOutSql(churchId: string, memberId: string, email: string) {
  return sql.raw(`(EXISTS (SELECT 1 FROM email_consents ec WHERE ec.church_id = ${churchId} AND ec.member_id = ${memberId} AND ec.opted_out_at IS NOT NULL)
    OR EXISTS (SELECT 1 FROM email_consents ea WHERE ea.church_id = ${churchId} AND ea.email = ${email} AND ea.opted_out_at IS NOT NULL))`);
}

export interface EmailAudienceMember {
  id: number;
  /** lower-cased; null: no address */
  email: string | null;
  optedOut: boolean;
  suppressed: EmailSuppressionReason | null;
}

/**
 * The audience (audienceWhereSql, the texts' rule) with what decides an email: the address, email
 * consent (person or address) and suppression (bounced, complained). Ordered so that, for an
 * address shared by several people, the household head comes first (they get the one email).
 */
export async function emailAudienceMembers(db: Queryable, churchId: number, a: AudienceSpec, limit: number, lists: SQL[] = []): Promise<EmailAudienceMember[]> {
  const rows = await db.execute<{ id: number; email: string | null; opted_out: boolean; suppressed: EmailSuppressionReason | null }>(sql`
    SELECT x.id, x.email, (x.email IS NOT NULL AND ${emailOptedOutSql('x.church_id', 'x.id', 'x.email')}) AS opted_out, s.reason AS suppressed
    FROM (SELECT m.id, m.church_id, nullif(lower(btrim(m.email)), '') AS email, m.household_role
          FROM members m WHERE ${audienceWhereSql(churchId, a, lists)}) x
    LEFT JOIN email_suppressions s ON s.email = x.email
    ORDER BY x.email NULLS LAST, (x.household_role = 'head') DESC NULLS LAST, x.id
    LIMIT ${limit}`);
  return rows.map((r) => ({ id: r.id, email: r.email, optedOut: r.opted_out, suppressed: r.suppressed }));
}

export interface ClaimedEmail {
  id: number;
  messageId: number;
  churchId: number;
  memberId: number;
  email: string;
  attempts: number;
  /**
   * An earlier attempt handed the message to the mail server and its answer never came: it may
   * have been accepted, and SMTP cannot be asked. Null: no attempt got that far.
   */
  handedOverAt: Date | null;
  /** the person or the address opted out, or the address was suppressed, since the message was written */
  blocked: 'opted_out' | EmailSuppressionReason | null;
  /** sending_at in µs: this sending episode (the Message-ID carries it) */
  episode: string;
  subject: string;
  body: string;
  fromAddress: string;
  churchName: string;
  /** the church's From name (updateChurch emailFromName), else its name; read at send time */
  fromName: string;
  /** the church's Reply-To, if it set one */
  replyTo: string | null;
  firstName: string;
  lastName: string;
  /** custom values by key and by id, formatted (custom-merge.ts); empty when the message names none */
  custom: Map<string, string>;
}

type ClaimRow = {
  id: number;
  message_id: number;
  church_id: number;
  member_id: number;
  email: string;
  attempts: number;
  provider_check_since: string | null;
  episode: string;
  subject: string;
  body: string;
  from_address: string;
  church_name: string;
  email_from_name: string | null;
  email_reply_to: string | null;
  first_name: string | null;
  last_name: string | null;
  field_values: CustomValueTuple[] | null;
  opted_out: boolean;
  suppressed: EmailSuppressionReason | null;
};

/**
 * Takes email recipients for sending, each only if queued, or stuck in sending past its lease, and
 * its message is not cancelled; a row another transaction holds is skipped. The texts' claim
 * (claimRecipients), with the email's columns; one statement for many, in the message's month only.
 */
export async function claimEmailRecipients(db: Queryable, ids: readonly number[], leaseS: number, messageId?: number): Promise<Map<number, ClaimedEmail>> {
  const out = new Map<number, ClaimedEmail>();
  if (!ids.length) return out;
  const month = messageId === undefined ? undefined : await messageMonth(db, messageId);
  const rows = await db.execute<ClaimRow>(sql`
    WITH prev AS (
      SELECT r.id, r.status FROM message_recipients r
      JOIN messages m ON m.id = r.message_id AND m.cancelled_at IS NULL
      WHERE r.id = ANY(${intArray(ids)}) ${monthOf(month)} AND r.channel = 'email'
        AND (r.status::text = 'queued' OR (r.status::text = 'sending' AND r.lease_until < now()))
      FOR UPDATE OF r SKIP LOCKED
    )
    UPDATE message_recipients r SET
      status = 'sending',
      attempts = r.attempts + 1,
      lease_until = now() + make_interval(secs => ${leaseS}),
      sending_at = CASE WHEN prev.status = 'queued' THEN now() ELSE coalesce(r.sending_at, now()) END,
      updated_at = now()
    FROM prev, messages m, churches c
    WHERE r.id = prev.id ${monthOf(month)} AND m.id = r.message_id AND c.id = r.church_id
    RETURNING r.id, r.message_id, r.church_id, r.member_id, r.email, r.attempts, r.provider_check_since,
              (extract(epoch FROM r.sending_at) * 1000000)::bigint::text AS episode, m.subject, m.body, m.from_address, c.name AS church_name, c.email_from_name, c.email_reply_to,
              (SELECT p.first_name FROM members p WHERE p.church_id = r.church_id AND p.id = r.member_id) AS first_name,
              (SELECT p.last_name FROM members p WHERE p.church_id = r.church_id AND p.id = r.member_id) AS last_name,
              -- the person's custom values ({field.<key>}), only for a message that names one: probes of
              -- member_field_values_pkey within this statement, so a batch of claims stays one statement
              (SELECT jsonb_agg(jsonb_build_array(f.id, f.name, f.type, v.value_text, v.value_number::text, v.value_date::text, v.value_bool, v.value_choices))
                 FROM member_field_values v JOIN custom_fields f ON f.id = v.field_id AND f.church_id = v.church_id AND f.archived_at IS NULL
                WHERE v.member_id = r.member_id AND v.church_id = r.church_id
                  AND strpos(coalesce(m.subject, '') || m.body, '{field.') > 0) AS field_values,
              ${emailOptedOutSql('r.church_id', 'r.member_id', 'r.email')} AS opted_out,
              (SELECT s.reason FROM email_suppressions s WHERE s.email = r.email) AS suppressed`);
  for (const r of rows) {
    out.set(r.id, {
      id: r.id,
      messageId: r.message_id,
      churchId: r.church_id,
      memberId: r.member_id,
      email: r.email,
      attempts: r.attempts,
      handedOverAt: r.provider_check_since ? new Date(r.provider_check_since) : null,
      blocked: r.opted_out ? 'opted_out' : r.suppressed,
      episode: r.episode,
      subject: r.subject,
      body: r.body,
      fromAddress: r.from_address,
      churchName: r.church_name,
      fromName: r.email_from_name ?? r.church_name,
      replyTo: r.email_reply_to,
      firstName: r.first_name ?? '',
      lastName: r.last_name ?? '',
      custom: customValuesOfClaim(r.field_values),
    });
  }
  return out;
}

/**
 * About to hand the message over (the SMTP transaction's final dot): remembered first, and only
 * while this attempt still holds the row (its lease, its attempt). False: the row is no longer
 * ours (the lease ran out and another worker took it), so the transaction must be abandoned.
 */
export async function markHandedOver(db: Queryable, id: number, attempt: number, messageId: number): Promise<boolean> {
  const month = await messageMonth(db, messageId);
  const rows = await db.execute(sql`
    UPDATE message_recipients r SET provider_check_since = now(), updated_at = now()
    WHERE r.id = ${id} ${monthOf(month)} AND r.status::text = 'sending' AND r.attempts = ${attempt} AND r.lease_until > now()
    RETURNING r.id`);
  return rows.length > 0;
}

export interface AcceptedEmail {
  id: number;
  messageId: number;
  attempt: number;
  /** the Message-ID header it went out with (provider_sid: bounces name it) */
  sid: string;
  /** the mail server's answer (250 …), kept as the provider's word */
  response: string;
}

/**
 * The mail server accepted these emails: delivered (email has no later receipt; a bounce may still
 * turn one undelivered). One statement for many, in one message's month; returns the ids recorded.
 */
export async function markEmailsAccepted(db: Queryable, accepted: readonly AcceptedEmail[]): Promise<Set<number>> {
  if (!accepted.length) return new Set();
  const messageId = accepted[0]!.messageId;
  const month = accepted.every((a) => a.messageId === messageId) ? await messageMonth(db, messageId) : undefined;
  const list = JSON.stringify(accepted.map((a) => ({ id: a.id, n: a.attempt, sid: a.sid, word: a.response.slice(0, 200) })));
  const rows = await db.execute<{ id: number }>(sql`
    UPDATE message_recipients r SET status = 'delivered', provider_sid = v.sid, provider_status = v.word,
      sent_at = now(), delivered_at = now(), lease_until = NULL, error_code = NULL, error_message = NULL, provider_check_since = NULL, updated_at = now()
    FROM jsonb_to_recordset(${list}::jsonb) AS v(id int, n int, sid text, word text)
    WHERE r.id = ANY(${intArray(accepted.map((a) => a.id))}) ${monthOf(month)} AND r.id = v.id AND r.status::text = 'sending' AND r.attempts = v.n
    RETURNING r.id`);
  return new Set(rows.map((r) => r.id));
}

/** Handed over, answer never known: final, never sent again (see the top). */
export async function markUnconfirmed(db: Queryable, id: number, message: string): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET status = 'unconfirmed', lease_until = NULL, error_code = 'handed-over', error_message = ${message.slice(0, 500)}, updated_at = now()
    WHERE id = ${id} AND status::text = 'sending'`);
}

/**
 * The one-click unsubscribe: the person opts out of email in that church, with the address the
 * email went to (which is then not emailed either, whoever holds it). Idempotent: the first
 * opt-out's time and way stay. Returns whether it changed anything.
 */
export async function optOutEmail(db: Queryable, churchId: number, memberId: number, email: string, via: string): Promise<boolean> {
  const rows = await db.execute(sql`
    INSERT INTO email_consents (church_id, member_id, email, opted_out_at, via, updated_at)
    SELECT ${churchId}, ${memberId}, ${email.toLowerCase()}, now(), ${via}, now()
    WHERE EXISTS (SELECT 1 FROM members WHERE church_id = ${churchId} AND id = ${memberId})
    ON CONFLICT (church_id, member_id) DO UPDATE SET
      email = CASE WHEN email_consents.opted_out_at IS NULL THEN EXCLUDED.email ELSE email_consents.email END,
      via = CASE WHEN email_consents.opted_out_at IS NULL THEN EXCLUDED.via ELSE email_consents.via END,
      opted_out_at = coalesce(email_consents.opted_out_at, EXCLUDED.opted_out_at),
      updated_at = now()
    RETURNING member_id`);
  return rows.length > 0;
}

/** Resubscribe from the same link: the person (and the address they had opted out with) may be emailed again. */
export async function optInEmail(db: Queryable, churchId: number, memberId: number, via: string): Promise<boolean> {
  const rows = await db.execute(sql`
    UPDATE email_consents SET opted_out_at = NULL, via = ${via}, updated_at = now()
    WHERE church_id = ${churchId} AND member_id = ${memberId} AND opted_out_at IS NOT NULL
    RETURNING member_id`);
  return rows.length > 0;
}

export interface EmailConsentState {
  optedOutAt: Date | null;
}

/** A person's email consent (the unsubscribe page shows it); null: never unsubscribed. */
export async function emailConsentOf(db: Queryable, churchId: number, memberId: number): Promise<EmailConsentState | null> {
  const [r] = await db.execute<{ opted_out_at: string | null }>(
    sql`SELECT opted_out_at FROM email_consents WHERE church_id = ${churchId} AND member_id = ${memberId}`,
  );
  return r ? { optedOutAt: r.opted_out_at ? new Date(r.opted_out_at) : null } : null;
}

/** Several people's email opt-out times (Member.emailOptedOutAt's loader), within the viewer's churches. */
export async function emailOptOutsByMember(db: Queryable, memberIds: readonly number[], scope: readonly number[]): Promise<Map<number, Date>> {
  if (!scope.length || !memberIds.length) return new Map();
  const rows = await db.execute<{ member_id: number; opted_out_at: string }>(sql`
    SELECT member_id, opted_out_at FROM email_consents
    WHERE church_id = ANY(${intArray(scope)}) AND member_id = ANY(${intArray(memberIds)}) AND opted_out_at IS NOT NULL`);
  return new Map(rows.map((r) => [r.member_id, new Date(r.opted_out_at)]));
}

/**
 * A bounce or complaint marks the address for every church: a complaint outranks a bounce and is
 * never downgraded by one. Returns the address's reason now.
 */
export async function suppressAddress(db: Queryable, email: string, reason: EmailSuppressionReason, detail: string | null): Promise<EmailSuppressionReason> {
  const [r] = await db.execute<{ reason: EmailSuppressionReason }>(sql`
    INSERT INTO email_suppressions (email, reason, detail) VALUES (${email.toLowerCase()}, ${reason}, ${detail?.slice(0, 500) ?? null})
    ON CONFLICT (email) DO UPDATE SET
      reason = CASE WHEN email_suppressions.reason = 'complained' THEN email_suppressions.reason ELSE EXCLUDED.reason END,
      detail = coalesce(EXCLUDED.detail, email_suppressions.detail),
      reports = email_suppressions.reports + 1,
      updated_at = now()
    RETURNING reason`);
  return r!.reason;
}

export interface BouncedRecipient {
  id: number;
  messageId: number;
  churchId: number;
  status: RecipientStatus;
}

/**
 * A bounce names the email (its Message-ID, our provider_sid): that recipient becomes undelivered,
 * the one report that moves an email out of delivered (or unconfirmed: the bounce is the answer
 * that never came). The month is not known: each month's UNIQUE (provider_sid) index is probed.
 */
export async function bounceRecipient(db: Queryable, sid: string, email: string, code: string | null, message: string | null): Promise<BouncedRecipient | null> {
  const [r] = await db.execute<{ id: number; message_id: number; church_id: number; status: RecipientStatus }>(sql`
    UPDATE message_recipients r SET status = 'undelivered', failed_at = now(), delivered_at = NULL, error_code = ${code ?? 'bounce'},
      error_message = ${message?.slice(0, 500) ?? 'bounced'}, updated_at = now()
    WHERE r.provider_sid = ${sid} AND r.channel = 'email' AND r.email = ${email.toLowerCase()} AND r.status::text IN ('delivered', 'unconfirmed')
    RETURNING r.id, r.message_id, r.church_id, r.status`);
  return r ? { id: r.id, messageId: r.message_id, churchId: r.church_id, status: r.status } : null;
}

/**
 * Nothing reached the server in this attempt (or the server refused it for now, after the
 * hand-over, which is as good as not handed over): back to queued for the queue's next attempt,
 * only while this attempt still holds the row.
 */
export async function releaseEmail(db: Queryable, id: number, attempt: number, code: string | null, message: string): Promise<void> {
  await db.execute(sql`
    UPDATE message_recipients SET status = 'queued', lease_until = NULL, sending_at = NULL, provider_check_since = NULL,
      error_code = ${code}, error_message = ${message.slice(0, 500)}, updated_at = now()
    WHERE id = ${id} AND status::text = 'sending' AND attempts = ${attempt}`);
}

/** Failed for good (a 5xx, or refused on the last attempt), only while this attempt holds the row. */
export async function failEmail(db: Queryable, id: number, attempt: number, code: string | null, message: string): Promise<boolean> {
  const rows = await db.execute(sql`
    UPDATE message_recipients SET status = 'failed', failed_at = now(), lease_until = NULL, provider_check_since = NULL,
      error_code = ${code}, error_message = ${message.slice(0, 500)}, updated_at = now()
    WHERE id = ${id} AND status::text = 'sending' AND attempts = ${attempt}
    RETURNING id`);
  return rows.length > 0;
}
