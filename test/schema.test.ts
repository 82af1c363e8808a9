import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { runMigrations } from '../src/db/migrate.js';
import { printSchemaSdl, SCHEMA_FILE } from '../src/graphql/schema.js';
import { adminSql, dbUrl } from './helpers/db.js';

describe('schema/schema.graphql', () => {
  it('matches the schema built from the code (run `npm run schema:emit` after changing the API)', async () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(await printSchemaSdl());
  });
});

describe('migrations', () => {
  it('migrate an empty database, and running them again changes nothing', async () => {
    const name = `steeple_test_migrate_${process.pid}`;
    await adminSql((sql) => sql.unsafe(`CREATE DATABASE ${name}`));
    const sql = postgres(dbUrl(name), { max: 1, onnotice: () => {} });
    try {
      await runMigrations(dbUrl(name));
      const tables = await sql<{ table_name: string }[]>`
        SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;
      const month = /^message_recipients_y\d{4}m\d{2}$/;
      expect(tables.map((t) => t.table_name).filter((t) => !month.test(t))).toEqual(['api_tokens', 'audit_log', 'check_ins', 'church_roles', 'churches', 'conversation_messages', 'conversations', 'custom_fields', 'email_consents', 'email_suppressions', 'event_occurrences', 'events', 'group_memberships', 'groups', 'households', 'member_field_values', 'member_merges', 'member_tags', 'members', 'message_recipients', 'message_templates', 'messages', 'smart_lists', 'sms_consents', 'tags', 'users']);
      // message_recipients' months: this one and three ahead (src/db/partitions.ts)
      expect(tables.filter((t) => month.test(t.table_name))).toHaveLength(4);
      const indexes = await sql<{ indexname: string }[]>`SELECT indexname FROM pg_indexes WHERE schemaname = 'public'`;
      const names = indexes.map((i) => i.indexname);
      for (const idx of ['members_directory_idx', 'members_status_directory_idx', 'members_joined_idx', 'members_search_trgm_idx', 'members_church_phone_idx', 'group_memberships_member_idx', 'churches_slug_key', 'message_recipients_reconcile_new_idx', 'message_recipients_reconcile_due_idx', 'sms_consents_pkey', 'check_ins_pkey', 'check_ins_church_member_idx', 'check_ins_church_start_idx', 'event_occurrences_pkey', 'events_church_name_idx', 'member_field_values_number_idx', 'member_field_values_choices_idx', 'member_tags_pkey', 'member_tags_member_idx', 'smart_lists_church_name_key', 'audit_log_church_idx', 'audit_log_entity_idx', 'members_church_email_idx', 'members_church_name_birth_idx', 'conversations_church_phone_key', 'conversation_messages_thread_idx', 'conversation_messages_sid_key', 'message_templates_church_name_idx']) {
        expect(names).toContain(idx);
      }
      const [{ n: applied }] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`;
      await runMigrations(dbUrl(name));
      const [{ n: again }] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`;
      expect(again).toBe(applied);
      expect(applied).toBeGreaterThanOrEqual(2);
    } finally {
      await sql.end();
      await adminSql((a) => a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  });

  it('composite keys refuse a member in another church’s household or group', async () => {
    const name = `steeple_test_fk_${process.pid}`;
    await adminSql((sql) => sql.unsafe(`CREATE DATABASE ${name}`));
    await runMigrations(dbUrl(name));
    const sql = postgres(dbUrl(name), { max: 1, onnotice: () => {} });
    try {
      const [a] = await sql`INSERT INTO churches (name, slug, time_zone) VALUES ('A', 'church-a', 'UTC') RETURNING id`;
      const [b] = await sql`INSERT INTO churches (name, slug, time_zone) VALUES ('B', 'church-b', 'UTC') RETURNING id`;
      const [hb] = await sql`INSERT INTO households (church_id, name) VALUES (${b!.id}, 'B family') RETURNING id`;
      const [gb] = await sql`INSERT INTO groups (church_id, name) VALUES (${b!.id}, 'B group') RETURNING id`;
      await expect(
        sql`INSERT INTO members (church_id, first_name, last_name, household_id) VALUES (${a!.id}, 'X', 'Y', ${hb!.id})`,
      ).rejects.toMatchObject({ code: '23503' });
      const [ma] = await sql`INSERT INTO members (church_id, first_name, last_name) VALUES (${a!.id}, 'X', 'Y') RETURNING id`;
      await expect(
        sql`INSERT INTO group_memberships (church_id, group_id, member_id) VALUES (${a!.id}, ${gb!.id}, ${ma!.id})`,
      ).rejects.toMatchObject({ code: '23503' });
      await expect(
        sql`INSERT INTO group_memberships (church_id, group_id, member_id) VALUES (${b!.id}, ${gb!.id}, ${ma!.id})`,
      ).rejects.toMatchObject({ code: '23503' });
    } finally {
      await sql.end();
      await adminSql((a) => a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  });
});
