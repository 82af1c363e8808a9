CREATE TYPE "public"."conversation_direction" AS ENUM('inbound', 'outbound');--> statement-breakpoint
CREATE TYPE "public"."conversation_state" AS ENUM('open', 'closed');--> statement-breakpoint
CREATE TYPE "public"."email_suppression_reason" AS ENUM('undeliverable', 'complained');--> statement-breakpoint
CREATE TYPE "public"."message_channel" AS ENUM('sms', 'email');--> statement-breakpoint
CREATE TYPE "public"."template_channel" AS ENUM('sms');--> statement-breakpoint
CREATE TABLE "conversation_messages" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "conversation_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"conversation_id" integer NOT NULL,
	"direction" "conversation_direction" NOT NULL,
	"body" text NOT NULL,
	"provider_sid" text,
	"message_id" integer,
	"recipient_id" integer,
	"recipient_created_at" timestamp with time zone,
	"author_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "conversations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"phone" text NOT NULL,
	"state" "conversation_state" DEFAULT 'open' NOT NULL,
	"unread_count" integer DEFAULT 0 NOT NULL,
	"assignee_id" integer,
	"last_activity_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_inbound_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversations_church_phone_key" UNIQUE("church_id","phone"),
	CONSTRAINT "conversations_church_id_id_key" UNIQUE("church_id","id"),
	CONSTRAINT "conversations_phone_e164" CHECK ("conversations"."phone" ~ '^\+[1-9][0-9]{6,14}$')
);
--> statement-breakpoint
CREATE TABLE "message_templates" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "message_templates_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"name" text NOT NULL,
	"body" text NOT NULL,
	"channel" "template_channel" DEFAULT 'sms' NOT NULL,
	"created_by_id" integer,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_consents" (
	"church_id" integer NOT NULL,
	"member_id" integer NOT NULL,
	"email" text NOT NULL,
	"opted_out_at" timestamp with time zone,
	"via" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_consents_pkey" PRIMARY KEY("church_id","member_id"),
	CONSTRAINT "email_consents_lower" CHECK ("email_consents"."email" = lower("email_consents"."email"))
);
--> statement-breakpoint
CREATE TABLE "email_suppressions" (
	"email" text PRIMARY KEY NOT NULL,
	"reason" "email_suppression_reason" NOT NULL,
	"detail" text,
	"reports" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_suppressions_lower" CHECK ("email_suppressions"."email" = lower("email_suppressions"."email"))
);
--> statement-breakpoint
ALTER TABLE "message_recipients" ALTER COLUMN "member_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "encoding" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "segments" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "from_number" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "message_recipients" ADD COLUMN "body" text;--> statement-breakpoint
ALTER TABLE "message_recipients" ADD COLUMN "channel" "message_channel" DEFAULT 'sms' NOT NULL;--> statement-breakpoint
ALTER TABLE "message_recipients" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "channel" "message_channel" DEFAULT 'sms' NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "subject" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "from_address" text;--> statement-breakpoint
ALTER TABLE "conversation_messages" ADD CONSTRAINT "conversation_messages_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_messages" ADD CONSTRAINT "conversation_messages_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_messages" ADD CONSTRAINT "conversation_messages_same_church_fk" FOREIGN KEY ("church_id","conversation_id") REFERENCES "public"."conversations"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_assignee_id_users_id_fk" FOREIGN KEY ("assignee_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_templates" ADD CONSTRAINT "message_templates_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_templates" ADD CONSTRAINT "message_templates_created_by_id_users_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_consents" ADD CONSTRAINT "email_consents_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_consents" ADD CONSTRAINT "email_consents_member_same_church_fk" FOREIGN KEY ("church_id","member_id") REFERENCES "public"."members"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conversation_messages_thread_idx" ON "conversation_messages" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "conversation_messages_sid_key" ON "conversation_messages" USING btree ("provider_sid") WHERE provider_sid IS NOT NULL;--> statement-breakpoint
CREATE INDEX "conversation_messages_message_idx" ON "conversation_messages" USING btree ("message_id") WHERE message_id IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "conversation_messages_recipient_key" ON "conversation_messages" USING btree ("conversation_id","recipient_id") WHERE recipient_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "conversations_church_activity_idx" ON "conversations" USING btree ("church_id","last_activity_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "conversations_church_state_idx" ON "conversations" USING btree ("church_id","state","last_activity_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "conversations_church_assignee_idx" ON "conversations" USING btree ("church_id","assignee_id","last_activity_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE assignee_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "conversations_church_unread_idx" ON "conversations" USING btree ("church_id","last_activity_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE unread_count > 0;--> statement-breakpoint
CREATE INDEX "message_templates_church_name_idx" ON "message_templates" USING btree ("church_id",lower("name"),"id") WHERE archived_at IS NULL;--> statement-breakpoint
CREATE INDEX "message_templates_church_archived_idx" ON "message_templates" USING btree ("church_id",lower("name"),"id") WHERE archived_at IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "message_templates_church_live_name_key" ON "message_templates" USING btree ("church_id",lower("name")) WHERE archived_at IS NULL;--> statement-breakpoint
CREATE INDEX "email_consents_church_email_idx" ON "email_consents" USING btree ("church_id","email") WHERE opted_out_at IS NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_channel_fields" CHECK ((channel = 'sms' AND from_number IS NOT NULL AND encoding IS NOT NULL AND segments IS NOT NULL) OR (channel = 'email' AND subject IS NOT NULL AND from_address IS NOT NULL));