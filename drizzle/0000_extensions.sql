-- pg_trgm: substring search on member name/email/phone (members_search_trgm_idx).
-- btree_gin: lets that GIN index lead with church_id so a search never scans other churches.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS btree_gin;
