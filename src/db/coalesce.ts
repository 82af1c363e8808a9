import type { SQL } from 'drizzle-orm';
import type postgres from 'postgres';
import { LAZY_PARAMS, type Queryable } from './client.js';

/**
 * Concurrent requests' statements that differ only in one id, as one statement.
 *
 * Under load many requests ask the same question of different churches at once (the directory's
 * first page: the same filter, order and size). Sent one by one, each pays a statement's fixed
 * cost twice over: in this process (building it, a socket write that wakes the server, a result to
 * read) and in PostgreSQL (a Bind/Execute round, an executor start). Coalesced, the callers that
 * arrive while a statement for the same question waits for a connection join it: its ids are taken
 * only when it is sent, so an idle server adds no wait at all (the first caller's statement is sent
 * at once, alone), and a busy one sends as many ids per statement as arrived meanwhile, up to
 * `maxIds`. Each caller gets the rows of its own position in the id list (`WITH ORDINALITY`), never
 * another position's: two callers asking for the same church get two copies, not shared objects.
 *
 * Only for statements on the root handle (a transaction's statements are its own), and only for
 * questions whose plan does not depend on the id's statistics (see member.queries pageOneChurch).
 *
 * Unlike src/lib/batcher.ts (group commit for the worker's writes: a batch leaves one event-loop
 * turn later, at most `maxInFlight` at once, items touching the same row kept apart) a read here
 * never waits for a turn or a fixed number of batches in flight: the connection gate, which sees
 * every statement of the process, decides when it goes, and the batch is whoever came meanwhile.
 */
export class StatementCoalescer {
  private readonly open = new Map<string, Batch>();
  /** statements sent (tests count them) */
  statements = 0;
  /** of those, sent as the one-id statement (a batch of one, see coalesced) */
  singles = 0;

  /** statement text and parameters by key, most recently used last (a key names them whole) */
  private readonly texts = new Map<string, { sql: string; params: unknown[] }>();

  constructor(readonly maxIds: number) {}

  /** The statement of a key, built once while it is among the last TEXTS_KEPT keys used. */
  compiled(key: string, build: () => { sql: string; params: unknown[] }): { sql: string; params: unknown[] } {
    let q = this.texts.get(key);
    if (q) {
      this.texts.delete(key);
    } else {
      q = build();
      if (!q.params.includes(IDS_PLACEHOLDER)) throw new Error('a coalesced statement must carry IDS_PLACEHOLDER');
      if (this.texts.size >= TEXTS_KEPT) this.texts.delete(this.texts.keys().next().value!);
    }
    this.texts.set(key, q);
    return q;
  }

  /**
   * The rows for `id` of the statement for `key`: joins the open batch for the key, or opens one
   * and sends it with `send(take)`, which resolves to the rows grouped by position and must call
   * `take` as the statement is sent (coalesced does, through the gated client's parameters as a
   * function): that closes the batch and returns its ids.
   */
  load<R>(key: string, id: number, send: (take: () => number[]) => PromiseLike<R[][]>): Promise<R[]> {
    const open = this.open.get(key);
    if (open) {
      const at = open.ids.push(id) - 1;
      if (open.ids.length >= this.maxIds) this.open.delete(key);
      return open.rows.then((groups) => (groups[at] ?? []) as R[]);
    }
    const b = { ids: [id] } as Batch;
    const take = () => {
      if (this.open.get(key) === b) this.open.delete(key);
      return b.ids;
    };
    if (this.maxIds > 1) this.open.set(key, b);
    this.statements++;
    // (no other caller can join before rows is set: send runs synchronously here)
    try {
      b.rows = Promise.resolve(send(take)).finally(take);
    } catch (e) {
      take();
      b.rows = Promise.reject(e);
    }
    return b.rows.then((groups) => (groups[0] ?? []) as R[]);
  }
}

interface Batch {
  ids: number[];
  /** the statement's rows by position */
  rows: Promise<unknown[][]>;
}

const coalescers = new WeakMap<object, StatementCoalescer>();
/** statements kept built per handle: a key per filter, order, size and cursor in use */
const TEXTS_KEPT = 256;
/** most ids in one statement (a page of 21 rows each: about a thousand rows) */
const MAX_IDS = 50;

/**
 * The root handle's client, when `db` is one over the gated client (a transaction has none: its
 * statements are its own).
 */
function rootClient(db: Queryable): postgres.Sql | null {
  const c = (db as { $client?: postgres.Sql }).$client;
  return c && (c as unknown as Record<symbol, unknown>)[LAZY_PARAMS] === true ? c : null;
}

/** The placeholder a coalescible statement carries where the ids go (replaced as it is sent). */
export const IDS_PLACEHOLDER = '\u0000coalesced ids\u0000';

/**
 * Runs `statement` (a drizzle SQL with IDS_PLACEHOLDER as the text of a comma-separated id list,
 * and a column `ord`: the 1-based position of the id, from `unnest(…) WITH ORDINALITY`) for `id`,
 * coalesced with concurrent callers of the same `key` on the same handle; `key` must name everything
 * the statement's text and other parameters depend on. Null when `db` cannot coalesce (a
 * transaction): the caller runs its own statement.
 *
 * `one`, when given, is the same question for a single id (IDS_PLACEHOLDER where the id goes, as
 * text: `${IDS_PLACEHOLDER}::int`; no `ord`): a batch that holds one id when the gate lets it go —
 * every statement of an idle or lightly loaded server — is sent as that instead. A list of one
 * still costs PostgreSQL the list form's plan (an unnest, a nested loop over LATERALs), measurably
 * more than the plain `church_id = $1` statement; the list form pays off from two ids on.
 */
export function coalesced<R extends { ord: number | string }>(
  db: Queryable,
  key: string,
  id: number,
  statement: () => SQL,
  one?: () => SQL,
): Promise<R[]> | null {
  const client = rootClient(db);
  if (!client) return null;
  let c = coalescers.get(db);
  if (!c) coalescers.set(db, (c = new StatementCoalescer(MAX_IDS)));
  const toQuery = (s: SQL) => (db as unknown as { dialect: { sqlToQuery(s: SQL): { sql: string; params: unknown[] } } }).dialect.sqlToQuery(s);
  return c.load<R>(key, id, (take) => {
    const q = c.compiled(key, () => toQuery(statement()));
    let single = false;
    // the ids are read when the gate lets the statement go (src/db/client.ts gateClient), not now
    const params = () => {
      const ids = take();
      if (ids.length === 1 && one) {
        single = true;
        c.singles++;
        const q1 = c.compiled(`${key}\u0000one`, () => toQuery(one()));
        return { query: q1.sql, params: withIds(q1.params, String(ids[0])) };
      }
      return withIds(q.params, ids.join(','));
    };
    const rows = client.unsafe(q.sql, params as unknown as postgres.ParameterOrJSON<never>[]) as unknown as PromiseLike<R[]>;
    return Promise.resolve(rows).then((list) => {
      if (single) return [list];
      const groups: R[][] = [];
      for (const r of list) {
        const i = Number(r.ord) - 1;
        (groups[i] ??= []).push(r);
      }
      return groups;
    });
  });
}

/** The parameters with every IDS_PLACEHOLDER replaced by `ids`. */
function withIds(params: unknown[], ids: string): unknown[] {
  return params.map((p) => (p === IDS_PLACEHOLDER ? ids : p));
}

/** The coalescer of a handle (ops and tests), if it has coalesced anything. */
export function coalescerOf(db: Queryable): StatementCoalescer | undefined {
  return coalescers.get(db);
}
