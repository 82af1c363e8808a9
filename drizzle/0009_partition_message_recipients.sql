-- Hand-written (drizzle-kit cannot write partitioning; its snapshot, meta/0009, is the schema this
-- leaves). message_recipients becomes PARTITION BY RANGE (created_at), one partition per UTC month,
-- and a recipient's created_at becomes its message's, held by the foreign key, so a message's rows
-- share one partition. The rows move in this migration's transaction; ids are kept and the identity
-- goes on after the highest. src/db/partitions.ts makes the months ahead from here on and detaches
-- the old ones.
ALTER TABLE "messages" ADD COLUMN "delivery_summary" jsonb;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_church_id_id_created_key" UNIQUE("church_id","id","created_at");--> statement-breakpoint
ALTER TABLE "message_recipients" RENAME TO "message_recipients_unpartitioned";--> statement-breakpoint
ALTER TABLE "message_recipients_unpartitioned" RENAME CONSTRAINT "message_recipients_pkey" TO "message_recipients_unpartitioned_pkey";--> statement-breakpoint
ALTER SEQUENCE "message_recipients_id_seq" RENAME TO "message_recipients_unpartitioned_id_seq";--> statement-breakpoint
CREATE TABLE "message_recipients" (
	"id" integer GENERATED ALWAYS AS IDENTITY (sequence name "message_recipients_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"message_id" integer NOT NULL,
	"member_id" integer NOT NULL,
	"phone" text,
	"status" "recipient_status" NOT NULL,
	"reason" text,
	"provider_sid" text,
	"provider_status" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"sending_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"error_code" text,
	"error_message" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reconcile_at" timestamp with time zone,
	"reconcile_checks" integer DEFAULT 0 NOT NULL,
	"provider_check_since" timestamp with time zone,
	CONSTRAINT "message_recipients_pkey" PRIMARY KEY("id","created_at")
) PARTITION BY RANGE ("created_at");--> statement-breakpoint
-- a partition for every month from the oldest message with recipients to three months ahead
DO $$
DECLARE
  m date := coalesce(
    (SELECT date_trunc('month', min(x.created_at) AT TIME ZONE 'UTC')::date
     FROM messages x WHERE EXISTS (SELECT 1 FROM message_recipients_unpartitioned r WHERE r.message_id = x.id)),
    date_trunc('month', now() AT TIME ZONE 'UTC')::date);
  last date := (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months')::date;
BEGIN
  WHILE m <= last LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF message_recipients FOR VALUES FROM (%L) TO (%L)',
      'message_recipients_' || to_char(m, '"y"YYYY"m"MM'),
      (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
    m := (m + interval '1 month')::date;
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "message_recipients" ("id", "church_id", "message_id", "member_id", "phone", "status", "reason", "provider_sid",
  "provider_status", "attempts", "lease_until", "sending_at", "sent_at", "delivered_at", "failed_at", "error_code", "error_message",
  "created_at", "updated_at", "reconcile_at", "reconcile_checks", "provider_check_since")
OVERRIDING SYSTEM VALUE
SELECT r."id", r."church_id", r."message_id", r."member_id", r."phone", r."status", r."reason", r."provider_sid",
  r."provider_status", r."attempts", r."lease_until", r."sending_at", r."sent_at", r."delivered_at", r."failed_at", r."error_code", r."error_message",
  m."created_at", r."updated_at", r."reconcile_at", r."reconcile_checks", r."provider_check_since"
FROM "message_recipients_unpartitioned" r JOIN "messages" m ON m."id" = r."message_id";--> statement-breakpoint
-- on from where the old identity was (ids of deleted rows are not handed out again)
SELECT setval('message_recipients_id_seq', s.last_value, s.is_called) FROM "message_recipients_unpartitioned_id_seq" s;--> statement-breakpoint
DROP TABLE "message_recipients_unpartitioned";--> statement-breakpoint
ALTER TABLE "message_recipients" ADD CONSTRAINT "message_recipients_message_same_church_fk" FOREIGN KEY ("church_id","message_id","created_at") REFERENCES "public"."messages"("church_id","id","created_at") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_recipients" ADD CONSTRAINT "message_recipients_member_same_church_fk" FOREIGN KEY ("church_id","member_id") REFERENCES "public"."members"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "message_recipients_message_member_key" ON "message_recipients" USING btree ("message_id","member_id","created_at");--> statement-breakpoint
CREATE INDEX "message_recipients_message_status_idx" ON "message_recipients" USING btree ("message_id","status","created_at");--> statement-breakpoint
CREATE INDEX "message_recipients_pending_idx" ON "message_recipients" USING btree ("updated_at") WHERE status IN ('queued', 'sending');--> statement-breakpoint
CREATE INDEX "message_recipients_church_failed_idx" ON "message_recipients" USING btree ("church_id","id" DESC NULLS LAST) WHERE status IN ('failed', 'undelivered');--> statement-breakpoint
CREATE INDEX "message_recipients_member_idx" ON "message_recipients" USING btree ("member_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "message_recipients_sent_idx" ON "message_recipients" USING btree ("message_id","created_at") WHERE provider_sid IS NOT NULL AND status NOT IN ('queued', 'sending', 'skipped', 'cancelled');--> statement-breakpoint
CREATE INDEX "message_recipients_reconcile_new_idx" ON "message_recipients" USING btree ("sent_at") WHERE status = 'sent' AND reconcile_at IS NULL;--> statement-breakpoint
CREATE INDEX "message_recipients_reconcile_due_idx" ON "message_recipients" USING btree ("reconcile_at") WHERE status = 'sent' AND reconcile_at IS NOT NULL;;--> statement-breakpoint
-- each partition's indexes named after the parent's, with the month (message_recipients_pkey_y2026m12),
-- and its own unique provider id (src/db/schema/message.ts says why it is not the parent's)
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname AS part FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'message_recipients'::regclass LOOP
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I USING btree ("provider_sid") WHERE provider_sid IS NOT NULL',
      'message_recipients_sid_key' || substr(r.part, length('message_recipients') + 1), r.part);
  END LOOP;
  FOR r IN SELECT c.relname AS child, p.relname || substr(t.relname, length('message_recipients') + 1) AS target
           FROM pg_inherits ti JOIN pg_class t ON t.oid = ti.inhrelid
           JOIN pg_index x ON x.indrelid = t.oid JOIN pg_class c ON c.oid = x.indexrelid
           JOIN pg_inherits i ON i.inhrelid = x.indexrelid JOIN pg_class p ON p.oid = i.inhparent
           WHERE ti.inhparent = 'message_recipients'::regclass LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', r.child, r.target);
  END LOOP;
END $$;
