import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/env.js';
import { cliPassword } from '../../config/process.js';
import { bootstrapDatabase } from '../../db/bootstrap.js';
import { createDatabase } from '../../db/client.js';
import { migrateAsConfigured } from '../../db/migrate.js';
import { ROLE_RANK } from '../viewer.js';
import { createLogger } from '../../lib/logger.js';
import { ensureUser } from './bootstrap.js';
import { endSessionsOf } from './cli-sessions.js';
import { createPasswordHasher, PASSWORD_MAX, PASSWORD_MIN } from './password.js';
import type { ChurchRole } from '../../db/schema/index.js';

// npm run user:create -- --email a@b.org --name "A B" --password '…' [--role grace:owner ...] [--platform-admin]
const USAGE =
  'usage: npm run user:create -- --email EMAIL --name NAME --password PASSWORD [--role CHURCH_SLUG:ROLE ...] [--platform-admin]\n' +
  '       ROLE is viewer, staff, admin or owner; an existing email keeps its password and gets the roles.\n' +
  '       The password may also come from STEEPLE_PASSWORD (keeps it out of shell history).';

function fail(message: string): never {
  console.error(`user:create: ${message}\n${USAGE}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        email: { type: 'string' },
        name: { type: 'string' },
        password: { type: 'string' },
        role: { type: 'string', multiple: true },
        'platform-admin': { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (e) {
    return fail((e as Error).message);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const email = values.email ?? fail('--email is required');
if (!/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(email)) fail('--email is not an email address');
const password = values.password ?? cliPassword() ?? fail('--password (or STEEPLE_PASSWORD) is required');
if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) fail(`the password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters`);
const roles = (values.role ?? []).map((r) => {
  const [church, role] = r.split(':');
  if (!church || !role || !(role.toLowerCase() in ROLE_RANK)) fail(`--role must look like grace:staff, got "${r}"`);
  return { church: church!, role: role!.toLowerCase() as ChurchRole };
});

let config: ReturnType<typeof loadConfig>;
let log: ReturnType<typeof createLogger>;
let endpoint: Awaited<ReturnType<typeof bootstrapDatabase>>;
try {
  config = loadConfig();
  log = createLogger(config.log.level);
  endpoint = await bootstrapDatabase(config, log, { reuseRunning: true });
} catch (e) {
  console.error(`user:create: ${(e as Error).message}`);
  process.exit(1);
}
try {
  await migrateAsConfigured(config, endpoint.url);
  const database = createDatabase(endpoint.url, config.db.pool, log);
  try {
    const r = await ensureUser(database.db, createPasswordHasher(config.auth.argon2), {
      email,
      name: values.name ?? email,
      password,
      platformAdmin: values['platform-admin'] ?? false,
      roles,
    });
    console.log(`${r.created ? 'created' : 'updated'} user ${email} (id ${r.id})${roles.length ? ` with ${roles.map((x) => `${x.church}:${x.role}`).join(', ')}` : ''}`);
    // sessions carry roles: an existing user's end now, so a lowered role does not live on in them
    if (!r.created && (roles.length || values['platform-admin'])) {
      await endSessionsOf(config, log, [r.id]).catch((e: Error) => {
        throw new Error(`the roles are saved, but signed-in sessions could not be ended (sign the user out another way): ${e.message}`);
      });
    }
  } catch (e) {
    console.error(`user:create: ${(e as Error).message}`);
    process.exitCode = 1;
  } finally {
    await database.close();
  }
} finally {
  await endpoint.stop();
}
