import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { churches, type ChurchRole } from '../../db/schema/index.js';
import * as q from './auth.queries.js';
import type { PasswordHasher } from './password.js';

export interface NewUserSpec {
  email: string;
  name: string;
  password: string;
  platformAdmin?: boolean;
  /** church slug → role */
  roles?: Array<{ church: string; role: ChurchRole }>;
}

/** Creates (or, for an existing email, updates roles of) a user; used by the CLI and the demo seed. */
export async function ensureUser(db: Db, hasher: PasswordHasher, spec: NewUserSpec): Promise<{ id: number; created: boolean }> {
  const email = spec.email.trim().toLowerCase();
  return db.transaction(async (tx) => {
    let user = await q.userByEmail(tx, email);
    const created = !user;
    if (!user) {
      user = await q.insertUser(tx, {
        email,
        name: spec.name,
        passwordHash: await hasher.hash(spec.password),
        isPlatformAdmin: spec.platformAdmin ?? false,
      });
    }
    else if (spec.platformAdmin && !user.isPlatformAdmin) await q.updateUser(tx, user.id, { isPlatformAdmin: true });
    const slugs = (spec.roles ?? []).map((r) => r.church);
    const found = slugs.length ? await tx.select({ id: churches.id, slug: churches.slug }).from(churches).where(inArray(churches.slug, slugs)) : [];
    for (const r of spec.roles ?? []) {
      const church = found.find((c) => c.slug === r.church);
      if (!church) throw new Error(`no church with slug "${r.church}"`);
      await q.setRole(tx, user.id, church.id, r.role);
    }
    return { id: user.id, created };
  });
}

export const DEMO_USERS = (password: string): NewUserSpec[] => [
  { email: 'owner@grace.example', name: 'Olivia Owner', password, roles: [{ church: 'grace', role: 'owner' }] },
  { email: 'staff@grace.example', name: 'Sam Staff', password, roles: [{ church: 'grace', role: 'staff' }] },
  // every church keeps an OWNER (the product's rule), the demo ones too
  { email: 'owner@stmarks.example', name: 'Morgan Owner', password, roles: [{ church: 'st-marks', role: 'owner' }] },
  { email: 'admin@stmarks.example', name: 'Alex Admin', password, roles: [{ church: 'st-marks', role: 'admin' }] },
  { email: 'ops@steeple.example', name: 'Pat Platform', password, platformAdmin: true },
];

/** Demo users are created only where the demo churches exist (first start). */
export async function seedDemoUsers(db: Db, hasher: PasswordHasher, password: string): Promise<boolean> {
  const [grace] = await db.select({ id: churches.id }).from(churches).where(eq(churches.slug, 'grace'));
  if (!grace) return false;
  for (const spec of DEMO_USERS(password)) await ensureUser(db, hasher, spec);
  return true;
}

export async function hasDemoUsers(db: Db): Promise<boolean> {
  return Boolean(await q.userByEmail(db, 'owner@grace.example'));
}
