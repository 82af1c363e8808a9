import type { Context } from '../../graphql/context.js';
import { PG, pgError } from '../../db/errors.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import { churchScope, requireChurchRole, requirePlatformAdmin, requireViewer } from '../auth/viewer.js';
import * as v from '../../lib/validate.js';
import type { CreateChurchInput, UpdateChurchInput } from './church.input.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { countChurches, insertChurch, pageChurches, updateChurch as updateChurchRow, type ChurchRow } from './church.queries.js';
import { invalidateChurch } from '../../cache/invalidate.js';

/** A church the viewer may see (their own; any for a platform admin); NOT_FOUND otherwise. */
export async function getChurch({ ctx, id, field = 'id' }: { ctx: Context; id: string | number; field?: string }): Promise<ChurchRow> {
  requireViewer(ctx.auth);
  const churchId = parseId(id, 'Church', field);
  const church = await ctx.loaders.church.load(churchId);
  if (!church) throw new NotFoundError('Church', churchId, field);
  return church;
}

/** The viewer's churches by name (every church for a platform admin). */
export async function listChurches({ ctx, first: f, after: a }: { ctx: Context; first?: number; after?: string }) {
  const scope = churchScope(requireViewer(ctx.auth));
  const first = pageSize(f);
  const after = cursorKeys(a, 'CHURCH', ['string', 'number']);
  const rows = first === 0 ? [] : await pageChurches(ctx.db, scope, first + 1, after);
  for (const r of rows) ctx.loaders.church.prime(r.id, r);
  return toConnection(
    rows,
    first,
    after !== undefined,
    cursorEdge('CHURCH', (c: ChurchRow) => [c.name.toLowerCase(), c.id]),
    () => countChurches(ctx.db, scope),
  );
}

function uniqueToInput(e: unknown): never {
  const pg = pgError(e);
  if (pg?.code === PG.uniqueViolation && pg.constraint === 'churches_slug_key') {
    throw new BadInputError({ field: 'input.slug', message: 'is already taken' });
  }
  if (pg?.code === PG.uniqueViolation && pg.constraint === 'churches_sms_from_number_key') {
    throw new BadInputError({ field: 'input.smsFromNumber', message: 'is already used by another church' });
  }
  throw e;
}

/** Platform operation: onboarding a church. Its first OWNER is then added with addChurchUser. */
export async function createChurch({ ctx, input }: { ctx: Context; input: CreateChurchInput }): Promise<ChurchRow> {
  requirePlatformAdmin(ctx.auth);
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: true });
  const slug = v.slug(p, 'input.slug', input.slug);
  const timeZone = v.timeZone(p, 'input.timeZone', input.timeZone);
  const smsFromNumber = v.phone(p, 'input.smsFromNumber', input.smsFromNumber, ctx.config.phone.defaultRegion);
  p.throwIfAny();
  try {
    return await insertChurch(ctx.db, { name: name!, slug: slug!, timeZone: timeZone!, smsFromNumber: smsFromNumber ?? null });
  } catch (e) {
    return uniqueToInput(e);
  }
}

export async function updateChurch({ ctx, id, input }: { ctx: Context; id: string; input: UpdateChurchInput }): Promise<ChurchRow> {
  const church = await getChurch({ ctx, id });
  requireChurchRole(ctx.auth, church.id, 'admin', 'id');
  const p = new Problems();
  const patch = {
    name: v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: input.name !== undefined }) ?? undefined,
    slug: input.slug === null ? (p.add('input.slug', 'cannot be null'), undefined) : v.slug(p, 'input.slug', input.slug),
    timeZone:
      input.timeZone === null ? (p.add('input.timeZone', 'cannot be null'), undefined) : v.timeZone(p, 'input.timeZone', input.timeZone),
    smsFromNumber: v.phone(p, 'input.smsFromNumber', input.smsFromNumber, ctx.config.phone.defaultRegion),
    smsHelpText: v.text(p, 'input.smsHelpText', input.smsHelpText, { max: 320 }),
  };
  p.throwIfAny();
  try {
    const row = await updateChurchRow(ctx.db, church.id, patch);
    if (!row) throw new NotFoundError('Church', church.id);
    ctx.loaders.church.clear(church.id).prime(church.id, row);
    await invalidateChurch(ctx.cache, church.id);
    return row;
  } catch (e) {
    return uniqueToInput(e);
  }
}
