CREATE TYPE "public"."api_token_kind" AS ENUM('full', 'check_in');--> statement-breakpoint
CREATE TYPE "public"."check_in_via" AS ENUM('staff', 'kiosk', 'bulk');--> statement-breakpoint
CREATE TABLE "check_ins" (
	"church_id" integer NOT NULL,
	"event_id" integer NOT NULL,
	"occurrence_start" timestamp with time zone NOT NULL,
	"member_id" integer NOT NULL,
	"checked_in_at" timestamp with time zone DEFAULT now() NOT NULL,
	"checked_in_by" integer,
	"via" "check_in_via" NOT NULL,
	CONSTRAINT "check_ins_pkey" PRIMARY KEY("event_id","occurrence_start","member_id")
);
--> statement-breakpoint
CREATE TABLE "event_occurrences" (
	"church_id" integer NOT NULL,
	"event_id" integer NOT NULL,
	"original_start" timestamp with time zone NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"headcount" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_occurrences_pkey" PRIMARY KEY("event_id","original_start"),
	CONSTRAINT "event_occurrences_headcount_range" CHECK ("event_occurrences"."headcount" BETWEEN 0 AND 100000),
	CONSTRAINT "event_occurrences_moved_pair" CHECK (("event_occurrences"."starts_at" IS NULL) = ("event_occurrences"."ends_at" IS NULL) AND ("event_occurrences"."ends_at" IS NULL OR "event_occurrences"."ends_at" > "event_occurrences"."starts_at"))
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"group_id" integer,
	"name" text NOT NULL,
	"description" text,
	"location" text,
	"time_zone" text NOT NULL,
	"starts_local" text NOT NULL,
	"duration_minutes" integer NOT NULL,
	"rrule" text,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_church_id_id_key" UNIQUE("church_id","id"),
	CONSTRAINT "events_duration_range" CHECK ("events"."duration_minutes" BETWEEN 1 AND 10080),
	CONSTRAINT "events_starts_local_format" CHECK ("events"."starts_local" ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$')
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "kind" "api_token_kind" DEFAULT 'full' NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "church_id" integer;--> statement-breakpoint
ALTER TABLE "check_ins" ADD CONSTRAINT "check_ins_checked_in_by_users_id_fk" FOREIGN KEY ("checked_in_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "check_ins" ADD CONSTRAINT "check_ins_event_same_church_fk" FOREIGN KEY ("church_id","event_id") REFERENCES "public"."events"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "check_ins" ADD CONSTRAINT "check_ins_member_same_church_fk" FOREIGN KEY ("church_id","member_id") REFERENCES "public"."members"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_occurrences" ADD CONSTRAINT "event_occurrences_event_same_church_fk" FOREIGN KEY ("church_id","event_id") REFERENCES "public"."events"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_group_same_church_fk" FOREIGN KEY ("church_id","group_id") REFERENCES "public"."groups"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "check_ins_church_member_idx" ON "check_ins" USING btree ("church_id","member_id","occurrence_start");--> statement-breakpoint
CREATE INDEX "check_ins_church_start_idx" ON "check_ins" USING btree ("church_id","occurrence_start");--> statement-breakpoint
CREATE INDEX "event_occurrences_moved_idx" ON "event_occurrences" USING btree ("event_id","starts_at") WHERE starts_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "event_occurrences_church_start_idx" ON "event_occurrences" USING btree ("church_id","original_start");--> statement-breakpoint
CREATE INDEX "events_church_name_idx" ON "events" USING btree ("church_id",lower("name"),"id");--> statement-breakpoint
CREATE INDEX "events_group_idx" ON "events" USING btree ("group_id","id") WHERE group_id IS NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_tokens_church_idx" ON "api_tokens" USING btree ("church_id") WHERE church_id IS NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_kind_church" CHECK (("api_tokens"."kind" = 'check_in') = ("api_tokens"."church_id" IS NOT NULL));