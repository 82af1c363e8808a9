import { createHash } from 'node:crypto';

/** Nesting deeper than this in a cacheable query's variables is not keyed (nor cached). */
const MAX_DEPTH = 32;

/**
 * JSON with every object's keys sorted, at every depth, so `{a, b}` and `{b, a}` are one key; null
 * when the value nests deeper than MAX_DEPTH (a hostile variable: that request is not cached, and
 * execution refuses what does not coerce). Variables come from JSON, so only JSON values occur.
 */
export function canonicalJson(value: unknown, depth = 0): string | null {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (depth >= MAX_DEPTH) return null;
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (const v of value) {
      const s = canonicalJson(v, depth + 1);
      if (s === null) return null;
      parts.push(s);
    }
    return `[${parts.join(',')}]`;
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o).sort()) {
    if (o[k] === undefined) continue;
    const s = canonicalJson(o[k], depth + 1);
    if (s === null) return null;
    parts.push(`${JSON.stringify(k)}:${s}`);
  }
  return `{${parts.join(',')}}`;
}

/** A document's identity in cache keys: the SHA-256 of its text (computed once per document). */
export const documentId = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * The response cache key of one request: the document, the operation, the variables (canonical)
 * and what the viewer may see (accessKey). Synchronous, one hash over a short string; null when the
 * variables cannot be keyed (see canonicalJson).
 */
export function responseCacheKey(r: { documentId: string; operationName: string | undefined; variables: Record<string, unknown>; access: string }): string | null {
  const vars = canonicalJson(r.variables);
  if (vars === null) return null;
  return createHash('sha256')
    .update(`${r.documentId}\n${r.operationName ?? ''}\n${r.access}\n${vars}`)
    .digest('base64url');
}
