CREATE TYPE "public"."message_status" AS ENUM('scheduled', 'sending', 'completed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."recipient_status" AS ENUM('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'skipped', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."sms_encoding" AS ENUM('gsm7', 'ucs2');--> statement-breakpoint
CREATE TABLE "message_recipients" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "message_recipients_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
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
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"author_id" integer,
	"body" text NOT NULL,
	"audience" jsonb NOT NULL,
	"status" "message_status" NOT NULL,
	"urgent" boolean DEFAULT false NOT NULL,
	"scheduled_at" timestamp with time zone,
	"send_at" timestamp with time zone NOT NULL,
	"encoding" "sms_encoding" NOT NULL,
	"segments" integer NOT NULL,
	"recipient_count" integer NOT NULL,
	"skipped_count" integer NOT NULL,
	"estimated_cost" numeric(12, 4) NOT NULL,
	"from_number" text NOT NULL,
	"cancelled_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "messages_church_id_id_key" UNIQUE("church_id","id")
);
--> statement-breakpoint
ALTER TABLE "churches" ADD COLUMN "sms_help_text" text;--> statement-breakpoint
ALTER TABLE "message_recipients" ADD CONSTRAINT "message_recipients_message_same_church_fk" FOREIGN KEY ("church_id","message_id") REFERENCES "public"."messages"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_recipients" ADD CONSTRAINT "message_recipients_member_same_church_fk" FOREIGN KEY ("church_id","member_id") REFERENCES "public"."members"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "message_recipients_message_member_key" ON "message_recipients" USING btree ("message_id","member_id");--> statement-breakpoint
CREATE INDEX "message_recipients_message_status_idx" ON "message_recipients" USING btree ("message_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "message_recipients_sid_key" ON "message_recipients" USING btree ("provider_sid") WHERE provider_sid IS NOT NULL;--> statement-breakpoint
CREATE INDEX "message_recipients_pending_idx" ON "message_recipients" USING btree ("updated_at") WHERE status IN ('queued', 'sending');--> statement-breakpoint
CREATE INDEX "message_recipients_member_idx" ON "message_recipients" USING btree ("member_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "messages_church_created_idx" ON "messages" USING btree ("church_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "messages_church_send_at_idx" ON "messages" USING btree ("church_id","send_at");