import type { Scope } from '../scope.js';
import { cursorEdge, cursorKeys, pageSize, toConnection } from '../../lib/paging.js';
import { BadInputError, NotFoundError, Problems } from '../../lib/errors.js';
import { parseId } from '../../lib/ids.js';
import * as v from '../../lib/validate.js';
import { TemplateChannel } from '../../db/schema/enums.js';
import { dataScope, requireChurchRole, requireViewer } from '../viewer.js';
import { getChurch } from '../church/church.service.js';
import type { ParsedTemplate } from './merge-fields.js';
import { checkContent, EMAIL_BODY_MAX, SUBJECT_MAX, TEXT_BODY_MAX } from './content.js';
import { checkCustomFields } from './custom-merge.js';
import * as q from './template.queries.js';
import type { CreateTemplateInput, UpdateTemplateInput } from './template.input.js';

async function loadTemplate(scope: Scope, id: string, field = 'id'): Promise<q.TemplateRow> {
  requireViewer(scope.auth);
  const templateId = parseId(id, 'MessageTemplate', field);
  // another church's template is NOT_FOUND, exactly like one that does not exist
  const row = await q.templateById(scope.db, templateId, dataScope(scope.auth.viewer));
  if (!row) throw new NotFoundError('MessageTemplate', templateId, field);
  return row;
}

/**
 * A template's subject and body as a send would take them: the channel's limits, merge fields
 * well formed and the custom ones ({field.<key>}) fields of the church that are not archived.
 * `undefined` leaves a part unchanged (an update). Throws every problem of `p` (the name's too).
 */
async function checkTemplateContent(
  scope: Scope,
  p: Problems,
  churchId: number,
  channel: TemplateChannel,
  content: { subject?: string | null; body?: string },
  required: boolean,
): Promise<{ subject?: string; body?: string }> {
  const out: { subject?: string; body?: string } = {};
  const parsed: Array<{ parsed: ParsedTemplate; field: string }> = [];
  if (content.body !== undefined || required) {
    const t = checkContent(p, 'input.body', content.body, { max: channel === 'email' ? EMAIL_BODY_MAX : TEXT_BODY_MAX });
    if (t) parsed.push({ parsed: t, field: 'input.body' });
    out.body = content.body;
  }
  if (channel === 'sms') {
    if (content.subject != null) p.add('input.subject', 'is for EMAIL templates only');
  } else if (content.subject !== undefined || required) {
    const t = checkContent(p, 'input.subject', content.subject, { max: SUBJECT_MAX, oneLine: true, blank: 'is required for an EMAIL template and cannot be blank' });
    if (t) parsed.push({ parsed: t, field: 'input.subject' });
    out.subject = content.subject ?? undefined;
  }
  p.throwIfAny();
  await checkCustomFields(scope.db, churchId, parsed);
  return out;
}

/**
 * A live template of this church for sendMessage/previewMessage(templateId): an archived or another
 * church's one is NOT_FOUND; one of the other channel is BAD_USER_INPUT on templateId.
 */
export async function templateForSend(scope: Scope, churchId: number, id: string, channel: TemplateChannel): Promise<q.TemplateRow> {
  const t = await loadTemplate(scope, id, 'templateId');
  if (t.churchId !== churchId || t.archivedAt) throw new NotFoundError('MessageTemplate', t.id, 'templateId');
  if (t.channel !== channel) {
    throw new BadInputError({ field: 'templateId', message: `is an ${t.channel.toUpperCase()} template; this send is ${channel.toUpperCase()} (channel)` });
  }
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
  const channel = input.channel ?? TemplateChannel.SMS;
  const { subject, body } = await checkTemplateContent(scope, p, church.id, channel, { subject: input.subject, body: input.body }, true);
  if (await q.liveTemplateNamed(scope.db, church.id, name!)) throw new BadInputError({ field: 'input.name', message: 'a template of this name exists' });
  return q.insertTemplate(scope.db, {
    churchId: church.id,
    name: name!,
    body: body!,
    channel,
    subject: channel === 'email' ? subject! : null,
    createdById: requireViewer(scope.auth).userId,
  });
}

export async function updateTemplate({ scope, id, input }: { scope: Scope; id: string; input: UpdateTemplateInput }): Promise<q.TemplateRow> {
  const t = await loadTemplate(scope, id);
  requireChurchRole(scope.auth, t.churchId, 'staff', 'id');
  const p = new Problems();
  const name = v.text(p, 'input.name', input.name, { max: v.LIMITS.name, required: input.name !== undefined });
  const { subject, body } = await checkTemplateContent(scope, p, t.churchId, t.channel, { subject: input.subject, body: input.body }, false);
  if (t.archivedAt) throw new BadInputError({ field: 'id', message: 'this template is archived; restore it first' });
  if (name && (await q.liveTemplateNamed(scope.db, t.churchId, name, t.id))) throw new BadInputError({ field: 'input.name', message: 'a template of this name exists' });
  const row = await q.updateTemplate(scope.db, t.id, { name: name ?? undefined, body, subject });
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
