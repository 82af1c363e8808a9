import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isListType,
  isObjectType,
  Kind,
  valueFromAST,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Config } from '../../config/env.js';
import { PAGE } from '../connection.js';
import type { Context } from '../context.js';

/** Expected sizes of list fields that take no `first` (their caps are larger; typical is what costs). */
const LIST_ESTIMATES: Record<string, number> = {
  'Member.groups': 10,
  'Household.members': 6,
  'Viewer.churches': 5,
  'ImportMembersPayload.errors': 1,
};
const DEFAULT_LIST_ESTIMATE = 10;

export interface QueryMeasure {
  depth: number;
  aliases: number;
  cost: number;
  /** the largest `first` asked for anywhere, with its path */
  first: { value: number; path: string } | null;
  /** `__schema` / `__type` selections: each answers with a large part of the schema */
  introspection: number;
}

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/**
 * Measures an operation with its variables: depth, aliases, and a cost where a field costs 1 plus
 * its children, times the page size (`first`) of a paginated field or an estimate for another
 * list. Every field and alias counts, `__typename` and introspection included (1,600 aliased
 * `__typename`s are as much work to answer as any other 1,600 fields); only the depth inside an
 * introspection selection is left out, because the standard introspection query nests `ofType`
 * deeper than any data query may go. Fragment cycles are impossible in a validated document, but
 * the walk is bounded anyway.
 */
export function measure(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): QueryMeasure {
  const m: QueryMeasure = { depth: 0, aliases: 0, cost: 0, first: null, introspection: 0 };
  const root = schema.getRootType(operation.operation);
  if (!root) return m;
  let visits = 0;

  // depth is not counted inside an introspection selection (inMeta)
  const walk = (set: SelectionSetNode, type: GraphQLObjectType | null, depth: number, path: string, inMeta = false): number => {
    let cost = 0;
    for (const sel of set.selections) {
      if (++visits > 100_000) return cost + 1_000_000;
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const frag = fragments[sel.name.value];
        if (frag) cost += walk(frag.selectionSet, typeOf(schema, frag.typeCondition.name.value) ?? type, depth, path, inMeta);
        continue;
      }
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        cost += walk(sel.selectionSet, sel.typeCondition ? (typeOf(schema, sel.typeCondition.name.value) ?? type) : type, depth, path, inMeta);
        continue;
      }
      const name = sel.name.value;
      if (sel.alias) m.aliases++;
      const meta = inMeta || INTROSPECTION_ROOTS.has(name);
      if (INTROSPECTION_ROOTS.has(name)) m.introspection++;
      if (!meta) m.depth = Math.max(m.depth, depth);
      const field: GraphQLField<unknown, unknown> | undefined = type?.getFields()[name];
      const fieldPath = `${path}${path ? '.' : ''}${sel.alias?.value ?? name}`;
      let multiplier = 1;
      const firstArg = field?.args.find((a) => a.name === 'first');
      if (firstArg) {
        const node = sel.arguments?.find((a) => a.name.value === 'first');
        const given = node ? valueFromAST(node.value, firstArg.type, variables) : undefined;
        const value = typeof given === 'number' ? given : typeof firstArg.defaultValue === 'number' ? firstArg.defaultValue : PAGE.default;
        multiplier = Math.max(1, value);
        if (!m.first || value > m.first.value) m.first = { value, path: fieldPath };
      } else if (field && isListType(getNullableType(field.type)) && type && !type.name.endsWith('Connection')) {
        multiplier = LIST_ESTIMATES[`${type.name}.${name}`] ?? DEFAULT_LIST_ESTIMATE;
      }
      const child = sel.selectionSet ? walk(sel.selectionSet, objectTypeOf(field), depth + 1, fieldPath, meta) : 0;
      cost += (1 + child) * multiplier;
    }
    return cost;
  };

  m.cost = walk(operation.selectionSet, root, 1, '');
  return m;
}

function typeOf(schema: GraphQLSchema, name: string): GraphQLObjectType | null {
  const t = schema.getType(name);
  return isObjectType(t) ? t : null;
}

function objectTypeOf(field: GraphQLField<unknown, unknown> | undefined): GraphQLObjectType | null {
  const t = field ? getNamedType(field.type) : null;
  return isObjectType(t) ? t : null;
}

function reject(message: string, extensions: Record<string, unknown>): never {
  throw new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 }, ...extensions } });
}

/**
 * Throws the error that refuses an abusive operation (page size, depth, aliases, introspection,
 * cost), or returns when it is within the limits. Used by Apollo (limitsPlugin) and by the cache
 * door before it executes anything itself.
 */
export function checkLimits(
  limits: Config['graphql'],
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  signedIn: boolean,
): void {
  const m = measure(schema, operation, fragments, variables);
  if (m.first && m.first.value > PAGE.max) {
    throw new GraphQLError(`first must be at most ${PAGE.max} (at ${m.first.path})`, {
      extensions: { code: 'BAD_USER_INPUT', field: 'first', path: m.first.path, http: { status: 400 } },
    });
  }
  if (m.depth > limits.maxDepth) reject(`Query is ${m.depth} levels deep; the limit is ${limits.maxDepth}`, { limit: 'depth', max: limits.maxDepth, actual: m.depth });
  if (m.aliases > limits.maxAliases) reject(`Query uses ${m.aliases} aliases; the limit is ${limits.maxAliases}`, { limit: 'aliases', max: limits.maxAliases, actual: m.aliases });
  // a stranger gets enough introspection for the sandbox (one __schema), not a multiplier on it
  if (!signedIn && m.introspection > limits.anonIntrospection) {
    reject(`Anonymous operations may select __schema / __type at most ${limits.anonIntrospection} time(s); sign in for more`, {
      limit: 'introspection',
      max: limits.anonIntrospection,
      actual: m.introspection,
    });
  }
  if (m.cost > limits.maxCost) reject(`Query cost ${m.cost} exceeds the limit of ${limits.maxCost} (page sizes multiply)`, { limit: 'cost', max: limits.maxCost, actual: m.cost });
}

/**
 * Refuses abusive operations after parsing and validation but before any resolver (and so any
 * SQL) runs. Token count is limited at parse time (ApolloServer parseOptions.maxTokens).
 */
export function limitsPlugin(limits: Config['graphql']): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, schema, contextValue }) {
          if (!operation) return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          checkLimits(limits, schema, operation, fragments, request.variables ?? {}, Boolean(contextValue.auth.viewer));
        },
      };
    },
  };
}
