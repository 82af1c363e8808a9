CREATE TYPE "public"."email_suppression_reason" AS ENUM('undeliverable', 'complained');--> statement-breakpoint
CREATE TYPE "public"."message_channel" AS ENUM('sms', 'email');--> statement-breakpoint
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
ALTER TABLE "messages" ALTER COLUMN "encoding" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "segments" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "from_number" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "message_recipients" ADD COLUMN "channel" "message_channel" DEFAULT 'sms' NOT NULL;--> statement-breakpoint
ALTER TABLE "message_recipients" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "channel" "message_channel" DEFAULT 'sms' NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "subject" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "from_address" text;--> statement-breakpoint
ALTER TABLE "email_consents" ADD CONSTRAINT "email_consents_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_consents" ADD CONSTRAINT "email_consents_member_same_church_fk" FOREIGN KEY ("church_id","member_id") REFERENCES "public"."members"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_consents_church_email_idx" ON "email_consents" USING btree ("church_id","email") WHERE opted_out_at IS NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_channel_fields" CHECK ((channel = 'sms' AND from_number IS NOT NULL AND encoding IS NOT NULL AND segments IS NOT NULL) OR (channel = 'email' AND subject IS NOT NULL AND from_address IS NOT NULL));