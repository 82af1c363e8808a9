/** `{ SMALL_GROUP: 'small_group', … }` for values `['small_group', …]`. */
export type EnumObject<V extends string> = { readonly [K in V as Uppercase<K>]: K };

/**
 * The enum-like object for a list of values: the one source is the list (a PostgreSQL enum's
 * values, src/db/schema/enums.ts), the GraphQL enum registers this object (src/graphql/enums.ts),
 * and services use its members (MemberStatus.VISITOR) and its type (the union of the values).
 */
export function enumObject<const V extends string>(values: readonly V[]): EnumObject<V> {
  const entries = values.map((v) => [v.toUpperCase(), v] as const);
  return Object.freeze(Object.fromEntries(entries)) as EnumObject<V>;
}
