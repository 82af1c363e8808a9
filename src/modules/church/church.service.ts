import type { Scope } from '../scope.js';
import { PG, pgError } from '../../db/errors.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import { churchScope, requireChurchRole, requirePlatformAdmin, requireViewer } from '../viewer.js';
import * as v from '../../lib/validate.js';
import type { CreateChurchInput, UpdateChurchInput } from './church.input.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { countChurches, insertChurch, pageChurches, updateChurch as updateChurchRow, type ChurchRow } from './church.queries.js';
import { invalidateChurch } from '../../cache/invalidate.js';

/** A church the viewer may see (their own; any for a platform admin); NOT_FOUND otherwise. */
export async function getChurch({ scope, id, field = 'id' }: { scope: Scope; id: string | number; field?: string }): Promise<ChurchRow> {
  requireViewer(scope.auth);
  const churchId = parseId(id, 'Church', field);
  const church = await scope.loaders.church.load(churchId);
  if (!church) throw new NotFoundError('Church', churchId, field);
  return church;
}

/** The viewer's churches by name (every church for a platform admin). */
export async function listChurches({ scope, first: f, after: a }: { scope: Scope; first?: number; after?: string }) {
  const visible = churchScope(requireViewer(scope.auth));
  const first = pageSize(f);
  const after = cursorKeys(a, 'CHURCH', ['string', 'number']);
  const rows = first === 0 ? [] : await pageChurches(scope.db, visible, first + 1, after);
  for (const r of rows) scope.loaders.church.prime(r.id, r);
  return toConnection(
    rows,
    first,
    after !== undefined,
    cursorEdge('CHURCH', (c: ChurchRow) => [c.name.toLowerCase(), c.id]),
    () => countChurches(scope.db, visible),
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
export async function createChurch({ scope, input }: { scope: Scope; input: CreateChurchInput }): Promise<ChurchRow> {
  requirePlatformAdmin(scope.auth);
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: true });
  const slug = v.slug(p, 'input.slug', input.slug);
  const timeZone = v.timeZone(p, 'input.timeZone', input.timeZone);
  const smsFromNumber = v.phone(p, 'input.smsFromNumber', input.smsFromNumber, scope.config.phone.defaultRegion);
  p.throwIfAny();
  try {
    return await insertChurch(scope.db, { name: name!, slug: slug!, timeZone: timeZone!, smsFromNumber: smsFromNumber ?? null });
  } catch (e) {
    return uniqueToInput(e);
  }
}

/** A From display name: one line (a header), at most 100 characters; null clears it. */
function fromName(p: Problems, value: string | null | undefined): string | null | undefined {
  if (typeof value === 'string' && /[\r\n]/.test(value)) {
    p.add('input.emailFromName', 'must be one line');
    return undefined;
  }
  return v.text(p, 'input.emailFromName', value, { max: 100 });
}

export async function updateChurch({ scope, id, input }: { scope: Scope; id: string; input: UpdateChurchInput }): Promise<ChurchRow> {
  const church = await getChurch({ scope, id });
  requireChurchRole(scope.auth, church.id, 'admin', 'id');
  const p = new Problems();
  const patch = {
    name: v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: input.name !== undefined }) ?? undefined,
    slug: input.slug === null ? (p.add('input.slug', 'cannot be null'), undefined) : v.slug(p, 'input.slug', input.slug),
    timeZone:
      input.timeZone === null ? (p.add('input.timeZone', 'cannot be null'), undefined) : v.timeZone(p, 'input.timeZone', input.timeZone),
    smsFromNumber: v.phone(p, 'input.smsFromNumber', input.smsFromNumber, scope.config.phone.defaultRegion),
    smsHelpText: v.text(p, 'input.smsHelpText', input.smsHelpText, { max: 320 }),
    emailFromName: fromName(p, input.emailFromName),
    emailReplyTo: v.email(p, 'input.emailReplyTo', input.emailReplyTo),
  };
  p.throwIfAny();
  try {
    const row = await updateChurchRow(scope.db, church.id, patch);
    if (!row) throw new NotFoundError('Church', church.id);
    scope.loaders.church.clear(church.id).prime(church.id, row);
    await invalidateChurch(scope.cache, church.id);
    return row;
  } catch (e) {
    return uniqueToInput(e);
  }
}
