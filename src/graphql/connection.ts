import type { ClassType } from 'type-graphql';
import { Field, Int, ObjectType } from 'type-graphql';
import type { PageInfoShape } from '../lib/paging.js';

// Paging itself is GraphQL-free (services use it); re-exported so resolvers keep one import.
export { PAGE, pageSize, cursorKeys, toConnection, cursorEdge, type Connection } from '../lib/paging.js';

@ObjectType({ simpleResolvers: true, description: 'Relay page information. Pagination is forward-only (first/after).' })
export class PageInfo implements PageInfoShape {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => Boolean, { description: 'True when this page was requested with a cursor (after).' })
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

/** Edge and connection object types for a node type. */
export function connectionTypes<N extends object>(name: string, Node: ClassType<N>, edgeDescription?: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: edgeDescription })
  class Edge {
    @Field(() => String) cursor!: string;
    @Field(() => Node) node!: N;
  }
  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class Conn {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => [Node], { description: 'The nodes of edges, for clients that need no cursors.' }) nodes!: N[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
    // a getter returning a promise (src/lib/paging.ts): resolved as a field, not read as a plain
    // property, which graphql-jit would serialize without awaiting
    @Field(() => Int, { simple: false, description: 'Matching items in all pages (runs a COUNT only when selected).' })
    totalCount!: number;
  }
  return { Edge, Conn };
}
