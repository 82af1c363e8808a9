/**
 * The per-recipient render step of an email, run by the worker for each recipient at send time
 * (worker/handlers/send-email.handler.ts): the stored subject and body are templates, and what the
 * person gets is rendered with their own values. Pure (no I/O), so the merge-field renderer of
 * texts can be plugged in here as it is. Today the identity: no field is substituted.
 */
export interface EmailRenderContext {
  firstName: string;
  lastName: string;
  churchName: string;
}

export type TemplateRenderer = (template: string, ctx: EmailRenderContext) => string;

const identity: TemplateRenderer = (template) => template;

export function renderEmail(m: { subject: string; body: string }, ctx: EmailRenderContext, render: TemplateRenderer = identity): { subject: string; body: string } {
  return { subject: render(m.subject, ctx), body: render(m.body, ctx) };
}
