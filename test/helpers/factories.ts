import { churches, groupMemberships, groups, households, members } from '../../src/db/schema/index.js';
import type { TestServer } from './server.js';

let seq = 0;
const FIRST = ['Ada', 'Ben', 'Cara', 'Dan', 'Eve', 'Finn', 'Gia', 'Hal', 'Ivy', 'Jon', 'Kai', 'Lea'];
const LAST = ['Adams', 'Brown', 'Clark', 'Davis', 'Evans', 'Fox', 'Green', 'Hill', 'Irwin', 'Jones', 'King', 'Lee'];

export interface SeededChurch {
  churchId: number;
  memberIds: number[];
  householdIds: number[];
  groupIds: number[];
}

/**
 * A church with `members` people: every member in a household (one per 2 members) and in 2 of
 * the church's 3 groups, so directory pages exercise every relation.
 */
export async function seedChurch(
  s: Pick<TestServer, 'database' | 'grantAll'>,
  opts: { members: number; name?: string; timeZone?: string; grant?: boolean },
): Promise<SeededChurch> {
  const db = s.database.db;
  const n = ++seq;
  const [church] = await db
    .insert(churches)
    .values({ name: opts.name ?? `Test Church ${n}`, slug: `test-church-${n}-${process.pid}`, timeZone: opts.timeZone ?? 'America/Chicago' })
    .returning();
  const churchId = church!.id;
  const hh = opts.members
    ? await db
        .insert(households)
        .values(Array.from({ length: Math.ceil(opts.members / 2) }, (_, i) => ({ churchId, name: `Household ${i + 1}` })))
        .returning()
    : [];
  const gs = await db
    .insert(groups)
    .values([0, 1, 2].map((i) => ({ churchId, name: `Group ${String.fromCharCode(65 + i)}` })))
    .returning();
  const ms = opts.members
    ? await db
        .insert(members)
        .values(
          Array.from({ length: opts.members }, (_, i) => ({
            churchId,
            firstName: FIRST[i % FIRST.length]!,
            lastName: `${LAST[Math.floor(i / FIRST.length) % LAST.length]}${i >= 144 ? Math.floor(i / 144) : ''}`,
            email: `person${i}@example.org`,
            phone: `+1555${String(1000000 + n * 10000 + i).slice(-7)}`,
            status: (['member', 'regular', 'visitor', 'member', 'inactive'] as const)[i % 5],
            joinedOn: i % 5 === 0 || i % 5 === 3 ? `20${String(10 + (i % 15)).padStart(2, '0')}-0${1 + (i % 9)}-15` : null,
            householdId: hh[Math.floor(i / 2)]!.id,
            householdRole: i % 2 === 0 ? ('head' as const) : ('spouse' as const),
          })),
        )
        .returning()
    : [];
  if (ms.length) {
    await db.insert(groupMemberships).values(
      ms.flatMap((m, i) => [
        { churchId, groupId: gs[i % 3]!.id, memberId: m.id, role: i % 10 === 0 ? ('leader' as const) : ('member' as const) },
        { churchId, groupId: gs[(i + 1) % 3]!.id, memberId: m.id },
      ]),
    );
  }
  // the default test caller becomes OWNER of the new church (pass grant: false to leave it out)
  if (opts.grant !== false) await s.grantAll();
  return { churchId, memberIds: ms.map((m) => m.id), householdIds: hh.map((h) => h.id), groupIds: gs.map((g) => g.id) };
}
