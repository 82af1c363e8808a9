import type { Context } from '../../graphql/context.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../auth/viewer.js';
import type { CreateHouseholdInput, UpdateHouseholdInput } from './household.input.js';
import { insertHouseholds, updateHousehold as updateRow, type HouseholdRow } from './household.queries.js';
import { invalidateStructure } from '../../cache/invalidate.js';

export async function getHousehold({ ctx, id }: { ctx: Context; id: string }): Promise<HouseholdRow> {
  requireViewer(ctx.auth);
  const householdId = parseId(id, 'Household');
  const h = await ctx.loaders.household.load(householdId);
  if (!h) throw new NotFoundError('Household', householdId);
  return h;
}

export async function listHouseholds({ ctx, church, first: f, after: a }: { ctx: Context; church: ChurchRow; first?: number; after?: string }) {
  requireChurchRole(ctx.auth, church.id, 'viewer');
  const first = pageSize(f);
  const after = cursorKeys(a, 'HOUSEHOLD', ['string', 'number']);
  const rows = first === 0 ? [] : await ctx.loaders.householdsPage({ limit: first + 1, after }).load(church.id);
  return toConnection(
    rows,
    first,
    after !== undefined,
    cursorEdge('HOUSEHOLD', (h: HouseholdRow) => [h.name.toLowerCase(), h.id]),
    () => ctx.loaders.householdsCount.load(church.id),
  );
}

export async function createHousehold({ ctx, input }: { ctx: Context; input: CreateHouseholdInput }): Promise<HouseholdRow> {
  const church = await getChurch({ ctx, id: input.churchId, field: 'input.churchId' });
  requireChurchRole(ctx.auth, church.id, 'staff', 'input.churchId');
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: true });
  p.throwIfAny();
  const [h] = await insertHouseholds(ctx.db, [{ churchId: church.id, name: name! }]);
  return h!;
}

export async function updateHousehold({ ctx, id, input }: { ctx: Context; id: string; input: UpdateHouseholdInput }): Promise<HouseholdRow> {
  const current = await getHousehold({ ctx, id });
  requireChurchRole(ctx.auth, current.churchId, 'staff', 'id');
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: input.name !== undefined });
  p.throwIfAny();
  const row = await updateRow(ctx.db, current.id, { name: name ?? undefined });
  if (!row) throw new NotFoundError('Household', current.id);
  ctx.loaders.household.clear(row.id).prime(row.id, row);
  await invalidateStructure(ctx.cache, row.churchId, [['Household', row.id]]);
  return row;
}
