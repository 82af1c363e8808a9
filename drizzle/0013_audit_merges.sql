CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"actor_user_id" integer,
	"actor_token_id" integer,
	"actor_label" text,
	"entity" text NOT NULL,
	"entity_id" text NOT NULL,
	"action" text NOT NULL,
	"changes" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "member_merges" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "member_merges_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"church_id" integer NOT NULL,
	"kept_member_id" integer NOT NULL,
	"removed_member_id" integer NOT NULL,
	"removed_snapshot" jsonb NOT NULL,
	"moved" jsonb NOT NULL,
	"merged_by" integer,
	"merged_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_merges" ADD CONSTRAINT "member_merges_church_id_churches_id_fk" FOREIGN KEY ("church_id") REFERENCES "public"."churches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_church_idx" ON "audit_log" USING btree ("church_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" USING btree ("church_id","entity","entity_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("church_id","actor_user_id","id" DESC NULLS LAST) WHERE actor_user_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "member_merges_church_idx" ON "member_merges" USING btree ("church_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "member_merges_kept_idx" ON "member_merges" USING btree ("kept_member_id");--> statement-breakpoint
CREATE INDEX "member_merges_removed_idx" ON "member_merges" USING btree ("removed_member_id");--> statement-breakpoint
CREATE INDEX "members_church_email_idx" ON "members" USING btree ("church_id",lower("email"),"id") WHERE email IS NOT NULL AND archived_at IS NULL;--> statement-breakpoint
CREATE INDEX "members_church_name_birth_idx" ON "members" USING btree ("church_id",lower("last_name"),lower("first_name"),"birth_date","id") WHERE birth_date IS NOT NULL AND archived_at IS NULL;--> statement-breakpoint
-- The audit log is append-only: no statement may change a row (the API has no way to either).
-- Rows leave only by the retention prune (worker) or with their church (ON DELETE CASCADE).
CREATE FUNCTION audit_log_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_no_update();
