import { BadInputError } from '../../lib/errors.js';

/**
 * Merge fields in a message body: `{firstName}`, `{lastName}`, `{fullName}`, `{churchName}`,
 * filled per recipient when a send is written (the message keeps the template; each recipient row
 * keeps its text). Pure and channel-free: the SMS send, its preview and saved templates use it,
 * and an email body can too. A brace that does not open a known field, or a field left open or
 * closed twice, is refused with its name and position (BAD_USER_INPUT), so a typo never reaches
 * a congregation as "{frstName}". There is no escape: a literal brace cannot appear in a body.
 */
export const MERGE_FIELDS = ['firstName', 'lastName', 'fullName', 'churchName'] as const;
export type MergeField = (typeof MERGE_FIELDS)[number];
/** A person's values; `custom`: the church's own fields by key ({field.<key>}), formatted (custom-merge.ts) */
export type MergeValues = Record<MergeField, string> & { custom?: ReadonlyMap<string, string> };

const KNOWN = new Set<string>(MERGE_FIELDS);

/** `{field.<key>}`: a custom field of the church by its key (its name in lower case, `_` between words) or its id */
export const CUSTOM_PREFIX = 'field.';
const CUSTOM_KEY = /^[a-z0-9_]{1,100}$/;

/** A custom field as written in a body: its key (lower-cased) and where it is (1-based) */
export interface CustomFieldRef {
  key: string;
  position: number;
}

export type TemplatePart = { text: string } | { field: MergeField } | { custom: string };

export interface TemplateProblem {
  /** 1-based character position (code points) of the brace */
  position: number;
  /** the field as written, or the brace */
  field: string;
  message: string;
}

export interface ParsedTemplate {
  parts: TemplatePart[];
  fields: MergeField[];
  /** the custom fields named, each once (first position): whether they exist is the church's to say (custom-merge.ts) */
  custom: CustomFieldRef[];
}

/** Whether rendering can change the template (any field at all). */
export const hasFields = (t: ParsedTemplate): boolean => t.fields.length > 0 || t.custom.length > 0;

/** The body's literal text and fields, or the first problem found. */
export function parseTemplate(template: string): ParsedTemplate | { problem: TemplateProblem } {
  const chars = [...template];
  const parts: TemplatePart[] = [];
  const fields = new Set<MergeField>();
  const custom = new Map<string, CustomFieldRef>();
  let text = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '}') return { problem: { position: i + 1, field: '}', message: `a "}" at position ${i + 1} closes no field` } };
    if (c !== '{') {
      text += c;
      continue;
    }
    let j = i + 1;
    let name = '';
    while (j < chars.length && chars[j] !== '}' && chars[j] !== '{' && j - i <= 110) name += chars[j++];
    if (chars[j] !== '}') {
      const shown = name.length > 20 ? `${name.slice(0, 20)}…` : name;
      return { problem: { position: i + 1, field: `{${shown}`, message: `the field "{${shown}" at position ${i + 1} is not closed with "}"` } };
    }
    if (name.startsWith(CUSTOM_PREFIX)) {
      const key = name.slice(CUSTOM_PREFIX.length).toLowerCase();
      if (!CUSTOM_KEY.test(key)) {
        return {
          problem: {
            position: i + 1,
            field: `{${name}}`,
            message: `the merge field "{${name}}" at position ${i + 1} is not a custom field's key: write {field.<key>}, the field's name in lower case with _ between words (e.g. {field.baptism_date}), or {field.<id>}`,
          },
        };
      }
      if (text) parts.push({ text });
      text = '';
      parts.push({ custom: key });
      if (!custom.has(key)) custom.set(key, { key, position: i + 1 });
      i = j;
      continue;
    }
    if (!KNOWN.has(name)) {
      return {
        problem: {
          position: i + 1,
          field: `{${name}}`,
          message: `unknown merge field "{${name}}" at position ${i + 1}; known: ${MERGE_FIELDS.map((f) => `{${f}}`).join(', ')} and the church's fields as {field.<key>}`,
        },
      };
    }
    if (text) parts.push({ text });
    text = '';
    parts.push({ field: name as MergeField });
    fields.add(name as MergeField);
    i = j;
  }
  if (text) parts.push({ text });
  return { parts, fields: [...fields], custom: [...custom.values()] };
}

/** Parses or throws BAD_USER_INPUT on `field` (the argument holding the template). */
export function validateTemplate(template: string, field = 'body'): ParsedTemplate {
  const r = parseTemplate(template);
  if ('problem' in r) throw new BadInputError({ field, message: r.problem.message });
  return r;
}

/** The template with each field replaced by its value (the template must be valid: validateTemplate). */
export function renderTemplate(template: string | TemplatePart[], values: MergeValues): string {
  const parts = typeof template === 'string' ? validateTemplate(template).parts : template;
  let out = '';
  // a custom field without a value (or unknown when rendered) is the empty string
  for (const p of parts) out += 'text' in p ? p.text : 'field' in p ? values[p.field] : (values.custom?.get(p.custom) ?? '');
  return out;
}

/** The values of one person in one church. */
export function mergeValues(person: { firstName: string; lastName: string } | null, churchName: string, custom?: ReadonlyMap<string, string>): MergeValues {
  const firstName = person?.firstName.trim() ?? '';
  const lastName = person?.lastName.trim() ?? '';
  return { firstName, lastName, fullName: [firstName, lastName].filter(Boolean).join(' '), churchName, custom };
}
