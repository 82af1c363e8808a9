import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { bootstrapDatabase } from './bootstrap.js';
import { directUrl, migrateAsConfigured } from './migrate.js';
import { seedSynthetic } from './seed.js';

// npm run db:seed -- --churches N --members-per-church M [--seed S]
// Adds synthetic churches (slugs synthetic-<seed>-<n>) to DATABASE_URL (or the embedded database).

const USAGE = 'usage: npm run db:seed -- [--churches N] [--members-per-church M] [--seed S]';
const MAX = 100_000;

function usageError(message: string): never {
  console.error(`db:seed: ${message}\n${USAGE}`);
  process.exit(2);
}

function intArg(name: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw.trim())) usageError(`--${name} must be a whole number, got "${raw}"`);
  const v = Number(raw.trim());
  if (!Number.isSafeInteger(v) || v < min || v > max) usageError(`--${name} must be from ${min} to ${max}, got ${raw}`);
  return v;
}

let values: { churches?: string; 'members-per-church'?: string; seed?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      churches: { type: 'string' },
      'members-per-church': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  usageError((e as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const churches = intArg('churches', values.churches, 10, 1, MAX);
const membersPerChurch = intArg('members-per-church', values['members-per-church'], 400, 1, MAX);
const seed = intArg('seed', values.seed, 1, 0, 2_147_483_647);

let endpoint: Awaited<ReturnType<typeof bootstrapDatabase>>;
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
  endpoint = await bootstrapDatabase(config, createLogger(config.log.level), { reuseRunning: true });
} catch (e) {
  console.error(`db:seed failed: ${(e as Error).message}`);
  process.exit(1);
}
let exitCode = 0;
try {
  await migrateAsConfigured(config, endpoint.url);
  const sql = postgres(directUrl(config, endpoint.url), { max: 1, onnotice: () => {} });
  try {
    const r = await seedSynthetic(sql, { churches, membersPerChurch, seed });
    console.log(
      `seeded ${r.churches} churches, ${r.members} members, ${r.households} households, ` +
        `${r.groups} groups, ${r.memberships} group memberships (seed ${seed}) in ${r.ms} ms`,
    );
  } finally {
    await sql.end();
  }
} catch (e) {
  console.error(`db:seed failed: ${(e as Error).message}`);
  exitCode = 1;
} finally {
  await endpoint.stop();
}
process.exit(exitCode);
