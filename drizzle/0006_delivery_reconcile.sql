ALTER TYPE "public"."recipient_status" ADD VALUE 'unconfirmed';--> statement-breakpoint
CREATE TABLE "sms_consents" (
	"church_id" integer NOT NULL,
	"phone" text NOT NULL,
	"opted_out_at" timestamp with time zone,
	"via" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sms_consents_pkey" PRIMARY KEY("church_id","phone"),
	CONSTRAINT "sms_consents_phone_e164" CHECK ("sms_consents"."phone" ~ '^\+[1-9][0-9]{6,14}$')
);
--> statement-breakpoint
DROP INDEX "message_recipients_sent_idx";--> statement-breakpoint
ALTER TABLE "message_recipients" ADD COLUMN "reconcile_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "message_recipients" ADD COLUMN "reconcile_checks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sms_consents" ADD CONSTRAINT "sms_consents_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "message_recipients_reconcile_new_idx" ON "message_recipients" USING btree ("sent_at") WHERE status = 'sent' AND reconcile_at IS NULL;--> statement-breakpoint
CREATE INDEX "message_recipients_reconcile_due_idx" ON "message_recipients" USING btree ("reconcile_at") WHERE status = 'sent' AND reconcile_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "message_recipients_sent_idx" ON "message_recipients" USING btree ("message_id") WHERE provider_sid IS NOT NULL AND status NOT IN ('queued', 'sending', 'skipped', 'cancelled');--> statement-breakpoint
-- Numbers that replied STOP (or were refused by the carrier as unsubscribed) before consent was kept per number.
INSERT INTO "sms_consents" ("church_id", "phone", "opted_out_at", "via")
SELECT DISTINCT ON (church_id, phone) church_id, phone, sms_opted_out_at, sms_opt_out_via
FROM "members"
WHERE phone IS NOT NULL AND sms_opted_out_at IS NOT NULL AND (sms_opt_out_via LIKE 'keyword:%' OR sms_opt_out_via LIKE 'error:%')
ORDER BY church_id, phone, sms_opted_out_at;
