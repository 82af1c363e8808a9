import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Trusted documents: the reference app's operations, emitted by GraphQL Code Generator's client
 * preset as a manifest (hash -> text, web/src/gql/persisted-documents.json), are accepted by hash,
 * over POST or GET, as Apollo's persisted-query extension spells it:
 *   { "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "<hex sha-256 of the text>" } } }
 * - apq (default): a manifest hash is resolved here; any other hash is Apollo's automatic persisted
 *   queries (unknown: PERSISTED_QUERY_NOT_FOUND, then the client sends the text once and it is
 *   remembered, in ApqStore); full text is accepted too.
 * - only: the manifest is an allow-list. A hash not in it, or a text that is not one of its
 *   documents, is refused with PERSISTED_QUERY_NOT_ALLOWED before anything else is done.
 * - off: full text only (Apollo answers a hash with PERSISTED_QUERY_NOT_SUPPORTED).
 * The request is rewritten to the text it names before anything keys it, so the response cache
 * keys what actually runs (the text's documentId), never a hash the client claimed.
 */
export type TrustedMode = 'apq' | 'only' | 'off';

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

export type Resolution = { kind: 'pass' } | { kind: 'text'; query: string; extensions: Record<string, unknown> | undefined } | ({ kind: 'refuse' } & Refusal);

const PASS: Resolution = { kind: 'pass' };
const HASH = /^[0-9a-f]{64}$/;

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** Apollo's APQ cache (a KeyValueCache): bounded by total characters, oldest dropped first. */
export class ApqStore {
  private readonly map = new Map<string, string>();
  private chars = 0;
  constructor(private readonly maxChars = 8 * 2 ** 20) {}
  async get(key: string): Promise<string | undefined> {
    return this.map.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    if (value.length > this.maxChars) return;
    this.drop(key);
    this.map.set(key, value);
    this.chars += value.length;
    while (this.chars > this.maxChars) this.drop(this.map.keys().next().value!);
  }
  async delete(key: string): Promise<boolean> {
    return this.drop(key);
  }
  /** a text Apollo registered, by its hash (the door reads it synchronously) */
  text(hash: string): string | undefined {
    return this.map.get(`apq:${hash}`);
  }
  private drop(key: string): boolean {
    const old = this.map.get(key);
    if (old === undefined) return false;
    this.chars -= old.length;
    return this.map.delete(key);
  }
}

export class TrustedDocuments {
  private readonly byHash: Map<string, string>;
  private readonly texts: Set<string>;
  readonly apq = new ApqStore();

  constructor(
    readonly mode: TrustedMode,
    manifest: Record<string, string>,
  ) {
    this.byHash = new Map();
    for (const [key, text] of Object.entries(manifest)) {
      // codegen's own sha256 writes "sha256:<hex>"; clients send the bare hex
      const hash = key.startsWith('sha256:') ? key.slice(7) : key;
      // a manifest made with another hash (sha1, say) would never match a client's
      if (sha256Hex(text) !== hash) throw new Error(`trusted documents: the manifest's entry ${key.slice(0, 19)}… is not the SHA-256 of its text (codegen.ts: persistedDocuments.hashAlgorithm)`);
      this.byHash.set(hash, text);
    }
    this.texts = new Set(this.byHash.values());
  }

  /** The manifest at `file` (missing: an empty one, except in `only` mode, where it is required). */
  static load(mode: TrustedMode, file: string): TrustedDocuments {
    if (mode === 'off') return new TrustedDocuments(mode, {});
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (mode === 'only') throw new Error(`TRUSTED_DOCUMENTS=only needs the manifest ${file}: ${(e as Error).message}`, { cause: e });
      return new TrustedDocuments(mode, {});
    }
    return new TrustedDocuments(mode, JSON.parse(text) as Record<string, string>);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The text of a manifest document by hash. */
  document(hash: string): string | undefined {
    return this.byHash.get(hash);
  }

  /** What to do with one request's query and extensions (a POST body or GET's parameters). */
  resolve(query: unknown, extensions: unknown): Resolution {
    if (this.mode === 'off') return PASS;
    const pq = extensions && typeof extensions === 'object' ? (extensions as { persistedQuery?: unknown }).persistedQuery : undefined;
    if (pq === undefined || pq === null) {
      if (this.mode === 'only' && typeof query === 'string' && !this.texts.has(query)) return NOT_ALLOWED;
      return PASS;
    }
    const { sha256Hash: hash, version } = pq as { sha256Hash?: unknown; version?: unknown };
    if (typeof hash !== 'string' || !HASH.test(hash) || version !== 1) {
      return this.mode === 'only' ? NOT_ALLOWED : PASS; // Apollo names the problem
    }
    const known = this.byHash.get(hash) ?? (this.mode === 'apq' ? this.apq.text(hash) : undefined);
    if (known === undefined) return this.mode === 'only' ? NOT_ALLOWED : PASS;
    if (query !== undefined && query !== null && query !== known) return MISMATCH;
    const { persistedQuery: _, ...rest } = extensions as Record<string, unknown>;
    return { kind: 'text', query: known, extensions: Object.keys(rest).length ? rest : undefined };
  }

  /** A request whose parameters could not be read (GET's variables or extensions not JSON). */
  unreadable(): Resolution {
    return this.mode === 'only' ? NOT_ALLOWED : PASS;
  }

  /** For a WebSocket subscribe message: the text to run, or the refusal. */
  subscription(query: unknown, extensions: unknown): { query: string } | Refusal {
    const r = this.resolve(query, extensions);
    if (r.kind === 'refuse') return r;
    if (r.kind === 'text') return { query: r.query };
    return { query: typeof query === 'string' ? query : '' };
  }
}

const NOT_ALLOWED: Resolution = {
  kind: 'refuse',
  status: 400,
  code: 'PERSISTED_QUERY_NOT_ALLOWED',
  message: 'This server runs only the operations of its trusted-document manifest (TRUSTED_DOCUMENTS=only): send a known persisted-query hash',
};
const MISMATCH: Resolution = { kind: 'refuse', status: 400, code: 'BAD_REQUEST', message: 'provided sha does not match query' };
