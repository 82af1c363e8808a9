import { documentId } from '../cache/key.js';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import {
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/**
 * A document text as the server knows it once: parsed, validated by the rules Apollo applies
 * (graphql-js' specified rules, and no introspection where Apollo refuses it), its operations by
 * name, and each operation compiled by graphql-jit the first time it runs. Invalid documents are
 * remembered as such, so they are not parsed again: Apollo answers them (with its own errors).
 */
export interface PreparedDocument {
  document: DocumentNode;
  /** the text's hash: its part of response cache keys (src/cache/key.ts) */
  id: string;
  fragments: Record<string, FragmentDefinitionNode>;
  hasFragments: boolean;
  /** by operation name; '' for the sole operation of a one-operation document */
  operations: Map<string, OperationDefinitionNode>;
  compiled: Map<string, CompiledQuery | null>;
}

export interface DocumentStoreOptions {
  maxTokens: number;
  introspection: boolean;
  /** documents kept (oldest dropped first): strangers cannot grow this without bound */
  max?: number;
}

/** The per-process document store the cache door executes from. */
export class DocumentStore {
  private readonly known = new Map<string, PreparedDocument | null>();
  private readonly rules;
  private readonly max: number;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly opts: DocumentStoreOptions,
  ) {
    this.rules = opts.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
    this.max = opts.max ?? 1000;
  }

  /** The prepared document, or null when the text does not parse or validate. */
  get(query: string): PreparedDocument | null {
    const seen = this.known.get(query);
    if (seen !== undefined) return seen;
    let prepared: PreparedDocument | null = null;
    try {
      const document = parse(query, { maxTokens: this.opts.maxTokens });
      if (!validate(this.schema, document, this.rules).length) {
        const operations = new Map<string, OperationDefinitionNode>();
        const fragments: Record<string, FragmentDefinitionNode> = {};
        const ops: OperationDefinitionNode[] = [];
        for (const d of document.definitions) {
          if (d.kind === Kind.OPERATION_DEFINITION) ops.push(d);
          else if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
        }
        for (const op of ops) if (op.name) operations.set(op.name.value, op);
        if (ops.length === 1) operations.set('', ops[0]!);
        prepared = { document, id: documentId(query), fragments, hasFragments: Object.keys(fragments).length > 0, operations, compiled: new Map() };
      }
    } catch {
      prepared = null;
    }
    if (this.known.size >= this.max) this.known.delete(this.known.keys().next().value!);
    this.known.set(query, prepared);
    return prepared;
  }

  /** The operation compiled by graphql-jit (null when jit cannot compile it: Apollo runs it). */
  compiled(doc: PreparedDocument, operationName: string): CompiledQuery | null {
    const have = doc.compiled.get(operationName);
    if (have !== undefined) return have;
    let out: CompiledQuery | null;
    try {
      const c = compileQuery(this.schema, doc.document, operationName || undefined, { disablingCapturingStackErrors: true });
      out = isCompiledQuery(c) ? c : null;
    } catch {
      out = null;
    }
    doc.compiled.set(operationName, out);
    return out;
  }
}
