ALTER TABLE "churches" ADD COLUMN "email_from_name" text;--> statement-breakpoint
ALTER TABLE "churches" ADD COLUMN "email_reply_to" text;--> statement-breakpoint
ALTER TABLE "churches" ADD CONSTRAINT "churches_email_reply_to_lower" CHECK ("churches"."email_reply_to" = lower("churches"."email_reply_to"));