import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import type { ChurchRow } from '../church/church.queries.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole, requireViewer } from '../viewer.js';
import type { CreateHouseholdInput, UpdateHouseholdInput } from './household.input.js';
import { insertHouseholds, updateHousehold as updateRow, type HouseholdRow } from './household.queries.js';
import { invalidateStructure } from '../../cache/invalidate.js';
import { actorOf, audit, changesOf } from '../audit/audit.service.js';

export async function getHousehold({ scope, id }: { scope: Scope; id: string }): Promise<HouseholdRow> {
  requireViewer(scope.auth);
  const householdId = parseId(id, 'Household');
  const h = await scope.loaders.household.load(householdId);
  if (!h) throw new NotFoundError('Household', householdId);
  return h;
}

export async function listHouseholds({ scope, church, first: f, after: a }: { scope: Scope; church: ChurchRow; first?: number; after?: string }) {
  requireChurchRole(scope.auth, church.id, 'viewer');
  const first = pageSize(f);
  const after = cursorKeys(a, 'HOUSEHOLD', ['string', 'number']);
  const rows = first === 0 ? [] : await scope.loaders.householdsPage({ limit: first + 1, after }).load(church.id);
  return toConnection(
    rows,
    first,
    after !== undefined,
    cursorEdge('HOUSEHOLD', (h: HouseholdRow) => [h.name.toLowerCase(), h.id]),
    () => scope.loaders.householdsCount.load(church.id),
  );
}

export async function createHousehold({ scope, input }: { scope: Scope; input: CreateHouseholdInput }): Promise<HouseholdRow> {
  const church = await getChurch({ scope, id: input.churchId, field: 'input.churchId' });
  requireChurchRole(scope.auth, church.id, 'staff', 'input.churchId');
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: true });
  p.throwIfAny();
  return scope.db.transaction(async (tx) => {
    const [h] = await insertHouseholds(tx, [{ churchId: church.id, name: name! }]);
    await audit(tx, actorOf(scope.auth), [{ churchId: church.id, entity: 'Household', entityId: h!.id, action: 'create', changes: { name: [null, h!.name] } }]);
    return h!;
  });
}

export async function updateHousehold({ scope, id, input }: { scope: Scope; id: string; input: UpdateHouseholdInput }): Promise<HouseholdRow> {
  const current = await getHousehold({ scope, id });
  requireChurchRole(scope.auth, current.churchId, 'staff', 'id');
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: input.name !== undefined });
  p.throwIfAny();
  const row = await scope.db.transaction(async (tx) => {
    const r = await updateRow(tx, current.id, { name: name ?? undefined });
    if (r) await audit(tx, actorOf(scope.auth), [{ churchId: r.churchId, entity: 'Household', entityId: r.id, action: 'update', changes: changesOf(current, r, ['name']) }]);
    return r;
  });
  if (!row) throw new NotFoundError('Household', current.id);
  scope.loaders.household.clear(row.id).prime(row.id, row);
  await invalidateStructure(scope.cache, row.churchId, [['Household', row.id]]);
  return row;
}
