/**
 * Cache tags naming what a cached answer depends on beyond the entities in it. Kept apart from
 * policy.ts (which reads GraphQL documents) so invalidators — and the worker that calls them —
 * never load the graphql package.
 */
export const tags = {
  roster: (churchId: number | string) => `roster:${churchId}`,
  analytics: (churchId: number | string) => `analytics:${churchId}`,
  attendance: (churchId: number | string) => `attendance:${churchId}`,
};
