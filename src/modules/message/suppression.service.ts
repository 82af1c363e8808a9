import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole } from '../viewer.js';
import { actorOf, audit } from '../audit/audit.service.js';
import * as q from './suppression.queries.js';

/**
 * Bounced and complained addresses (email_suppressions, written by the mail provider's webhook)
 * as a church sees them: only the addresses its own people hold. STAFF and up list them.
 */
export async function listSuppressions({ scope, churchId, first: f, after: a }: { scope: Scope; churchId: string; first?: number; after?: string | null }) {
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'staff');
  const first = pageSize(f);
  const after = cursorKeys(a, 'SUPPRESSION', ['string']);
  const rows = first === 0 ? [] : await q.pageSuppressions(scope.db, church.id, first + 1, after?.[0]);
  return toConnection(rows, first, after !== undefined, cursorEdge('SUPPRESSION', (r: q.SuppressionRow) => [r.email]), () => q.countSuppressions(scope.db, church.id));
}

/**
 * Lifts a suppression (ADMIN and up): the person fixed their mailbox, or the complaint was a
 * mistake. Only for an address one of the church's people holds (any other is NOT_FOUND, so a
 * church learns nothing of other churches' addresses); audited with what was lifted. The next send
 * includes the address again; a new bounce or complaint marks it again.
 */
export async function clearSuppression({ scope, churchId, email }: { scope: Scope; churchId: string; email: string }): Promise<q.SuppressionRow> {
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'admin');
  const p = new Problems();
  const address = v.email(p, 'email', email);
  if (!address && p.empty) p.add('email', 'is required');
  p.throwIfAny();
  return scope.db.transaction(async (tx) => {
    const row = await q.suppressionOfChurch(tx, church.id, address!);
    if (!row) throw new NotFoundError('EmailSuppression', address!, 'email');
    if (!(await q.deleteSuppression(tx, row.email))) throw new BadInputError({ field: 'email', message: 'was lifted meanwhile' });
    await audit(tx, actorOf(scope.auth), [{
      churchId: church.id, entity: 'EmailSuppression', entityId: row.email, action: 'clear',
      changes: { reason: [row.reason, null], detail: [row.detail, null], reports: [row.reports, null], members: [row.memberIds, null] },
    }]);
    scope.log.info({ churchId: church.id, reason: row.reason }, 'email suppression lifted');
    return row;
  });
}
