import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import { TemplateChannel } from '../../db/schema/enums.js';
import { dataScope, requireChurchRole, requireViewer } from '../viewer.js';
import { getChurch } from '../church/church.service.js';
import { parseTemplate } from './merge-fields.js';
import * as q from './template.queries.js';
import type { CreateTemplateInput, UpdateTemplateInput } from './template.input.js';

/** A template's body: as long as a text may be (message.service.ts BODY_MAX) */
export const TEMPLATE_BODY_MAX = 1600;

async function loadTemplate(scope: Scope, id: string, field = 'id'): Promise<q.TemplateRow> {
  requireViewer(scope.auth);
  const templateId = parseId(id, 'MessageTemplate', field);
  // another church's template is NOT_FOUND, exactly like one that does not exist
  const row = await q.templateById(scope.db, templateId, dataScope(scope.auth.viewer));
  if (!row) throw new NotFoundError('MessageTemplate', templateId, field);
  return row;
}

function checkBody(p: Problems, field: string, body: string | undefined | null, required: boolean): string | undefined {
  if (body === undefined && !required) return undefined;
  if (typeof body !== 'string' || body.trim().length === 0) {
    p.add(field, 'cannot be blank');
    return undefined;
  }
  if (v.unstorable(body)) p.add(field, v.unstorable(body)!);
  else if ([...body].length > TEMPLATE_BODY_MAX) p.add(field, `must be at most ${TEMPLATE_BODY_MAX} characters`);
  else {
    const parsed = parseTemplate(body);
    if ('problem' in parsed) p.add(field, parsed.problem.message);
    else return body;
  }
  return undefined;
}

/** The body of a live template of this church, for sendMessage/previewMessage(templateId). */
export async function templateForSend(scope: Scope, churchId: number, id: string): Promise<q.TemplateRow> {
  const t = await loadTemplate(scope, id, 'templateId');
  if (t.churchId !== churchId || t.archivedAt) throw new NotFoundError('MessageTemplate', t.id, 'templateId');
  return t;
}

export async function listTemplates(
  { scope, churchId, archived, first: f, after: a }: { scope: Scope; churchId: string; archived: boolean; first?: number; after?: string },
) {
  const church = await getChurch({ scope, id: churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'viewer', 'churchId');
  const first = pageSize(f);
  const after = cursorKeys(a, 'TEMPLATE', ['string', 'number']);
  const rows = first === 0 ? [] : await q.pageTemplates(scope.db, church.id, archived, first + 1, after);
  return toConnection(rows, first, after !== undefined, cursorEdge('TEMPLATE', (t: q.TemplateRow) => [t.name.toLowerCase(), t.id]), () =>
    q.countTemplates(scope.db, church.id, archived),
  );
}

export async function createTemplate({ scope, input }: { scope: Scope; input: CreateTemplateInput }): Promise<q.TemplateRow> {
  const church = await getChurch({ scope, id: input.churchId, field: 'input.churchId' });
  requireChurchRole(scope.auth, church.id, 'staff', 'input.churchId');
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: true });
  const body = checkBody(p, 'input.body', input.body, true);
  p.throwIfAny();
  if (await q.liveTemplateNamed(scope.db, church.id, name!)) throw new BadInputError({ field: 'input.name', message: 'a template of this name exists' });
  return q.insertTemplate(scope.db, {
    churchId: church.id,
    name: name!,
    body: body!,
    channel: input.channel ?? TemplateChannel.SMS,
    createdById: requireViewer(scope.auth).userId,
  });
}

export async function updateTemplate({ scope, id, input }: { scope: Scope; id: string; input: UpdateTemplateInput }): Promise<q.TemplateRow> {
  const t = await loadTemplate(scope, id);
  requireChurchRole(scope.auth, t.churchId, 'staff', 'id');
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: input.name !== undefined });
  const body = checkBody(p, 'input.body', input.body, false);
  p.throwIfAny();
  if (t.archivedAt) throw new BadInputError({ field: 'id', message: 'this template is archived; restore it first' });
  if (name && (await q.liveTemplateNamed(scope.db, t.churchId, name, t.id))) throw new BadInputError({ field: 'input.name', message: 'a template of this name exists' });
  const row = await q.updateTemplate(scope.db, t.id, { name: name ?? undefined, body });
  if (!row) throw new NotFoundError('MessageTemplate', t.id);
  return row;
}

/** Archived templates are kept (and listed with archived: true) but cannot be sent or edited; restore brings one back. */
export async function setTemplateArchived({ scope, id, archived }: { scope: Scope; id: string; archived: boolean }): Promise<q.TemplateRow> {
  const t = await loadTemplate(scope, id);
  requireChurchRole(scope.auth, t.churchId, 'staff', 'id');
  if (!archived && t.archivedAt && (await q.liveTemplateNamed(scope.db, t.churchId, t.name, t.id))) {
    throw new BadInputError({ field: 'id', message: 'a live template has this name; rename one of them first' });
  }
  if (Boolean(t.archivedAt) === archived) return t;
  const row = await q.updateTemplate(scope.db, t.id, { archivedAt: archived ? new Date() : null });
  if (!row) throw new NotFoundError('MessageTemplate', t.id);
  return row;
}
