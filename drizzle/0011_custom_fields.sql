CREATE TYPE "public"."custom_field_type" AS ENUM('text', 'number', 'date', 'yes_no', 'single_choice', 'multiple_choice');--> statement-breakpoint
CREATE TABLE "custom_fields" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "custom_fields_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"type" "custom_field_type" NOT NULL,
	"required" boolean DEFAULT false NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"choices" text[] DEFAULT '{}'::text[] NOT NULL,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "custom_fields_church_id_id_key" UNIQUE("church_id","id")
);
--> statement-breakpoint
CREATE TABLE "member_field_values" (
	"church_id" integer NOT NULL,
	"member_id" integer NOT NULL,
	"field_id" integer NOT NULL,
	"value_text" text,
	"value_number" numeric,
	"value_date" date,
	"value_bool" boolean,
	"value_choices" text[],
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "member_field_values_pkey" PRIMARY KEY("member_id","field_id"),
	CONSTRAINT "member_field_values_one_value" CHECK (num_nonnulls("member_field_values"."value_text", "member_field_values"."value_number", "member_field_values"."value_date", "member_field_values"."value_bool", "member_field_values"."value_choices") = 1)
);
--> statement-breakpoint
ALTER TABLE "custom_fields" ADD CONSTRAINT "custom_fields_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_field_values" ADD CONSTRAINT "member_field_values_member_fk" FOREIGN KEY ("church_id","member_id") REFERENCES "public"."members"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_field_values" ADD CONSTRAINT "member_field_values_field_fk" FOREIGN KEY ("church_id","field_id") REFERENCES "public"."custom_fields"("church_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "custom_fields_church_name_key" ON "custom_fields" USING btree ("church_id",lower("name"));--> statement-breakpoint
CREATE INDEX "custom_fields_church_position_idx" ON "custom_fields" USING btree ("church_id","position","id");--> statement-breakpoint
CREATE INDEX "member_field_values_text_idx" ON "member_field_values" USING btree ("field_id",lower("value_text"),"member_id") WHERE value_text IS NOT NULL;--> statement-breakpoint
CREATE INDEX "member_field_values_number_idx" ON "member_field_values" USING btree ("field_id","value_number","member_id") WHERE value_number IS NOT NULL;--> statement-breakpoint
CREATE INDEX "member_field_values_date_idx" ON "member_field_values" USING btree ("field_id","value_date","member_id") WHERE value_date IS NOT NULL;--> statement-breakpoint
CREATE INDEX "member_field_values_bool_idx" ON "member_field_values" USING btree ("field_id","value_bool","member_id") WHERE value_bool IS NOT NULL;--> statement-breakpoint
CREATE INDEX "member_field_values_choices_idx" ON "member_field_values" USING gin ("field_id","value_choices") WHERE value_choices IS NOT NULL;