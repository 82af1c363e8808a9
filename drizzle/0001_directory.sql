CREATE TYPE "public"."group_kind" AS ENUM('small_group', 'ministry', 'team', 'class', 'other');--> statement-breakpoint
CREATE TYPE "public"."group_role" AS ENUM('leader', 'member');--> statement-breakpoint
CREATE TYPE "public"."household_role" AS ENUM('head', 'spouse', 'child', 'other');--> statement-breakpoint
CREATE TYPE "public"."member_status" AS ENUM('visitor', 'regular', 'member', 'inactive');--> statement-breakpoint
CREATE TABLE "churches" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "churches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"time_zone" text NOT NULL,
	"sms_from_number" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "churches_slug_format" CHECK ("churches"."slug" ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$'),
	CONSTRAINT "churches_sms_from_e164" CHECK ("churches"."sms_from_number" ~ '^\+[1-9][0-9]{6,14}$')
);
--> statement-breakpoint
CREATE TABLE "households" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "households_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "households_church_id_id_key" UNIQUE("church_id","id")
);
--> statement-breakpoint
CREATE TABLE "members" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "members_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"household_id" integer,
	"household_role" "household_role",
	"first_name" text NOT NULL,
	"last_name" text NOT NULL,
	"email" text,
	"phone" text,
	"status" "member_status" DEFAULT 'visitor' NOT NULL,
	"first_visit_on" date,
	"joined_on" date,
	"inactivated_on" date,
	"birth_date" date,
	"sms_opted_out_at" timestamp with time zone,
	"sms_opt_out_via" text,
	"archived_at" timestamp with time zone,
	"search_text" text GENERATED ALWAYS AS (lower(first_name || ' ' || last_name || ' ' || coalesce(email, '') || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), ''))) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "members_church_id_id_key" UNIQUE("church_id","id"),
	CONSTRAINT "members_phone_e164" CHECK ("members"."phone" ~ '^\+[1-9][0-9]{6,14}$'),
	CONSTRAINT "members_household_role_needs_household" CHECK ("members"."household_role" IS NULL OR "members"."household_id" IS NOT NULL)
);
--> statement-breakpoint
CREATE TABLE "group_memberships" (
	"church_id" integer NOT NULL,
	"group_id" integer NOT NULL,
	"member_id" integer NOT NULL,
	"role" "group_role" DEFAULT 'member' NOT NULL,
	"joined_on" date DEFAULT CURRENT_DATE NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "group_memberships_pkey" PRIMARY KEY("group_id","member_id")
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "groups_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"name" text NOT NULL,
	"kind" "group_kind" DEFAULT 'small_group' NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "groups_church_id_id_key" UNIQUE("church_id","id")
);
--> statement-breakpoint
ALTER TABLE "households" ADD CONSTRAINT "households_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_household_same_church_fk" FOREIGN KEY ("church_id","household_id") REFERENCES "public"."households"("church_id","id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_group_same_church_fk" FOREIGN KEY ("church_id","group_id") REFERENCES "public"."groups"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_member_same_church_fk" FOREIGN KEY ("church_id","member_id") REFERENCES "public"."members"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "groups" ADD CONSTRAINT "groups_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "churches_slug_key" ON "churches" USING btree ("slug");--> statement-breakpoint
CREATE UNIQUE INDEX "churches_sms_from_number_key" ON "churches" USING btree ("sms_from_number");--> statement-breakpoint
CREATE INDEX "churches_name_id_idx" ON "churches" USING btree (lower("name"),"id");--> statement-breakpoint
CREATE INDEX "households_church_name_idx" ON "households" USING btree ("church_id",lower("name"),"id");--> statement-breakpoint
CREATE INDEX "members_directory_idx" ON "members" USING btree ("church_id",lower("last_name"),lower("first_name"),"id") WHERE archived_at IS NULL;--> statement-breakpoint
CREATE INDEX "members_status_directory_idx" ON "members" USING btree ("church_id","status",lower("last_name"),lower("first_name"),"id") WHERE archived_at IS NULL;--> statement-breakpoint
CREATE INDEX "members_joined_idx" ON "members" USING btree ("church_id",coalesce("joined_on", '-infinity'::date) DESC,"id" DESC) WHERE archived_at IS NULL;--> statement-breakpoint
CREATE INDEX "members_archived_idx" ON "members" USING btree ("church_id",lower("last_name"),lower("first_name"),"id") WHERE archived_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "members_search_trgm_idx" ON "members" USING gin ("church_id","search_text" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "members_church_phone_idx" ON "members" USING btree ("church_id","phone") WHERE phone IS NOT NULL;--> statement-breakpoint
CREATE INDEX "members_household_idx" ON "members" USING btree ("household_id") WHERE household_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "group_memberships_member_idx" ON "group_memberships" USING btree ("member_id","group_id");--> statement-breakpoint
CREATE INDEX "groups_church_name_idx" ON "groups" USING btree ("church_id",lower("name"),"id");