ALTER TYPE "public"."template_channel" ADD VALUE 'email';--> statement-breakpoint
ALTER TABLE "message_templates" ADD COLUMN "subject" text;--> statement-breakpoint
ALTER TABLE "message_templates" ADD CONSTRAINT "message_templates_subject_of_email" CHECK (("message_templates"."channel" = 'sms') = ("message_templates"."subject" IS NULL));