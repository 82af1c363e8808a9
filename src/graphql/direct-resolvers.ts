import { GraphQLObjectType, GraphQLScalarType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

/**
 * type-graphql wraps every resolver-class field resolver (`@FieldResolver` in a `@Resolver(of => X)`
 * class) in a handler that, on each call, sorts the parameter metadata, looks the resolver instance
 * up by a linear search of the container, builds a resolver-data object and copies the root into a
 * new instance of the object type's class (`@Root()`: convertToType). On a directory page of 20 people
 * that is 40 such calls for `household` and `groups` alone: a tenth of everything the request
 * allocated (measured with the sampling heap profiler). None of it is needed here: the schema has
 * no middlewares, no auth checker and validation off (src/graphql/schema.ts).
 *
 * So, once the schema is built, each such field whose parameters are only the root, the context
 * (or one of its properties), the info, or a scalar or enum argument gets a resolver that calls the
 * method directly with those values, in the order declared. Anything else (an `@Args()` class, an
 * input-type argument, which type-graphql turns into class instances; a custom parameter decorator;
 * middlewares or roles) keeps type-graphql's handler. Returns how many fields were made direct.
 */
/** Marks a resolver made direct here (tests look for it). */
export const DIRECT = Symbol.for('steeple.directResolver');

export function directFieldResolvers(schema: GraphQLSchema): number {
  const storage = getMetadataStorage();
  const instances = new Map<object, Record<string, (...a: unknown[]) => unknown>>();
  let made = 0;
  for (const fr of storage.fieldResolvers) {
    if (fr.kind !== 'external' || fr.middlewares?.length || fr.roles !== undefined || !fr.getObjectType) continue;
    const params = [...(fr.params ?? [])].sort((a, b) => a.index - b.index);
    const pickers: Array<(root: unknown, args: Record<string, unknown>, ctx: Record<string, unknown>, info: unknown) => unknown> = [];
    let eligible = true;
    for (const p of params) {
      if (p.kind === 'root') {
        const prop = p.propertyName;
        pickers.push(prop ? (root) => (root as Record<string, unknown>)[prop] : (root) => root);
      } else if (p.kind === 'context') {
        const prop = p.propertyName;
        pickers.push(prop ? (_r, _a, ctx) => ctx[prop] : (_r, _a, ctx) => ctx);
      } else if (p.kind === 'info') {
        pickers.push((_r, _a, _c, info) => info);
      } else if (p.kind === 'arg' && plainArgType(p.getType())) {
        const name = p.name;
        pickers.push((_r, args) => args[name]);
      } else {
        eligible = false;
        break;
      }
    }
    if (!eligible) continue;
    const objectClass = fr.getObjectType();
    const typeNames = storage.objectTypes.filter((o) => o.target === objectClass).map((o) => o.name);
    const target = fr.target as new () => Record<string, (...a: unknown[]) => unknown>;
    if (target.length > 0) continue;
    let instance = instances.get(target);
    if (!instance) instances.set(target, (instance = new target()));
    const method = instance[fr.methodName];
    if (typeof method !== 'function') continue;
    const self = instance;
    const resolve: GraphQLFieldResolver<unknown, Record<string, unknown>, Record<string, unknown>> =
      pickers.length === 1
        ? ((pick) => (root, args, ctx, info) => method.call(self, pick(root, args, ctx, info)))(pickers[0]!)
        : pickers.length === 2
          ? ((p0, p1) => (root, args, ctx, info) => method.call(self, p0(root, args, ctx, info), p1(root, args, ctx, info)))(pickers[0]!, pickers[1]!)
          : (root, args, ctx, info) => method.apply(self, pickers.map((p) => p(root, args, ctx, info)));
    Object.defineProperty(resolve, DIRECT, { value: true });
    for (const name of typeNames) {
      const type = schema.getType(name);
      if (!(type instanceof GraphQLObjectType)) continue;
      const field = type.getFields()[fr.schemaName];
      if (!field?.resolve) continue;
      field.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
      made++;
    }
  }
  return made;
}

/** An argument type type-graphql passes through unchanged: a scalar or an enum (not an input class). */
function plainArgType(t: unknown): boolean {
  if (t instanceof GraphQLScalarType) return true;
  if (t === String || t === Number || t === Boolean || t === Date) return true;
  // a registered TypeScript enum is a plain object, an input type a class (a function)
  return typeof t === 'object' && t !== null && !Array.isArray(t);
}
