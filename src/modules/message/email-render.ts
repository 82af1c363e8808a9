/**
 * The per-recipient render step of an email, run by the worker for each recipient at send time
 * (worker/handlers/send-email.handler.ts): the stored subject and body are templates, and what the
 * person gets is rendered with their own values. Pure (no I/O), so the merge-field renderer of
 * texts is plugged in here as it is.
 */
import { hasFields, mergeValues, parseTemplate, renderTemplate } from './merge-fields.js';

export interface EmailRenderContext {
  firstName: string;
  lastName: string;
  churchName: string;
  /** the person's custom values by key and by id ({field.baptism_date}, {field.12}): custom-merge.ts */
  custom?: ReadonlyMap<string, string>;
}

export type TemplateRenderer = (template: string, ctx: EmailRenderContext) => string;

/**
 * The texts' merge fields ({firstName} {lastName} {fullName} {churchName} {field.<key>}, merge-fields.ts), filled
 * with the recipient's values. sendMessage checks the fields before anything is stored; a stored
 * subject or body that does not parse (written before emails took merge fields) goes as written.
 */
export const mergeFieldRenderer: TemplateRenderer = (template, ctx) => {
  const parsed = parseTemplate(template);
  if ('problem' in parsed) return template;
  return hasFields(parsed) ? renderTemplate(parsed.parts, mergeValues(ctx, ctx.churchName, ctx.custom)) : template;
};

export function renderEmail(m: { subject: string; body: string }, ctx: EmailRenderContext, render: TemplateRenderer = mergeFieldRenderer): { subject: string; body: string } {
  return { subject: render(m.subject, ctx), body: render(m.body, ctx) };
}
