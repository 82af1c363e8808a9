import { BadInputError } from './errors.js';
import { decodeCursor, encodeCursor, type KeyKind, type KeysOf } from './cursor.js';

/**
 * Forward-only (first/after) paging used by services. It knows nothing of GraphQL: the object
 * types a connection is exposed as live in src/graphql/connection.ts, which re-exports these.
 */
export const PAGE = { default: 20, max: 100 } as const;

/** The shape of Relay page information (the GraphQL type is PageInfo in src/graphql/connection.ts). */
export interface PageInfoShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/** Validates `first` against the cap before any SQL runs. */
export function pageSize(first: number | null | undefined, field = 'first'): number {
  const n = first ?? PAGE.default;
  if (!Number.isInteger(n) || n < 0) throw new BadInputError({ field, message: 'must be 0 or more' });
  if (n > PAGE.max) throw new BadInputError({ field, message: `must be at most ${PAGE.max}` });
  return n;
}

/** Decoded keys of an `after` cursor (validated: see decodeCursor), or undefined without one. */
export function cursorKeys<const S extends readonly KeyKind[]>(
  after: string | null | undefined,
  order: string,
  shape: S,
  field = 'after',
): KeysOf<S> | undefined {
  return after ? decodeCursor(after, order, shape, field) : undefined;
}

export interface Connection<E, N> {
  edges: E[];
  nodes: N[];
  pageInfo: PageInfoShape;
  readonly totalCount: Promise<number>;
}

/**
 * Builds a connection from `first + 1` fetched rows. totalCount is a getter, so its COUNT query
 * runs only when a client selects the field.
 */
export function toConnection<R, N, E extends { cursor: string; node: N }>(
  rows: R[],
  first: number,
  hasCursor: boolean,
  edgeOf: (row: R) => E,
  count: () => Promise<number>,
): Connection<E, N> {
  const edges = rows.slice(0, first).map(edgeOf);
  return {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: hasCursor,
      // cursors are encoded only when read (cursorEdge's are getters)
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges[edges.length - 1]?.cursor ?? null;
      },
    },
    get totalCount() {
      return count();
    },
  };
}

/** An edge factory: each edge's cursor is encoded when it is read (most pages ask for one, or none). */
export function cursorEdge<N>(order: string, keysOf: (n: N) => Array<string | number>) {
  return (node: N) => ({
    node,
    get cursor() {
      return encodeCursor(order, keysOf(node));
    },
  });
}

/** An edge whose cursor is the class's getter (no closure per edge); see pageEdge. */
class PageEdge<N> {
  constructor(
    readonly node: N,
    private readonly order: string,
    private readonly keysOf: (n: N) => Array<string | number>,
  ) {}
  get cursor(): string {
    return encodeCursor(this.order, this.keysOf(this.node));
  }
}

/**
 * cursorEdge for the hottest pages (the member directory): each edge an instance of one class, its
 * cursor a prototype getter, where cursorEdge makes an object and a getter closure per edge. Such
 * an edge must not be spread (`{ ...edge }` would drop the cursor): extend cursorEdge's instead.
 */
export function pageEdge<N>(order: string, keysOf: (n: N) => Array<string | number>): (node: N) => { node: N; readonly cursor: string } {
  return (node: N) => new PageEdge(node, order, keysOf);
}
