import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Config } from '../config/env.js';
import { ServiceUnavailableError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import * as schema from './schema/index.js';
import { addStage, sqlStatements } from '../observability/budget.js';

export type Db = PostgresJsDatabase<typeof schema>;
/** A database handle or an open transaction: every query function takes this. */
export type Queryable = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Counting semaphore with a bounded wait. postgres.js queues a query without limit when every
 * connection is busy; under overload that turns into requests that hang until the client gives up.
 * With one permit per statement a connection may carry (DB_POOL_MAX × DB_PIPELINE: a plain read
 * takes one, a transaction or a write a whole connection's), a caller that cannot get its permits
 * within `acquireTimeoutMs` fails at once with a retryable SERVICE_UNAVAILABLE instead.
 */
export class ConnectionGate {
  private free: number;
  private readonly waiters: Array<{ need: number; grant: () => void; timer: NodeJS.Timeout }> = [];
  rejected = 0;

  constructor(
    readonly size: number,
    private readonly acquireTimeoutMs: number,
  ) {
    this.free = size;
  }

  get inUse(): number {
    return this.size - this.free;
  }
  get waiting(): number {
    return this.waiters.length;
  }

  /** `weight`: permits the call holds (a transaction, or a statement nothing may queue behind, holds a whole connection's) */
  async run<T>(fn: () => PromiseLike<T>, weight = 1): Promise<T> {
    const need = Math.min(weight, this.size);
    await this.acquire(need);
    try {
      return await fn();
    } finally {
      this.release(need);
    }
  }

  private acquire(need: number): Promise<void> {
    // first come, first served: a heavier caller is not passed by lighter ones behind it
    if (this.free >= need && this.waiters.length === 0) {
      this.free -= need;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        need,
        grant: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          this.rejected++;
          // the head may have been the one holding the others back
          this.grantWaiting();
          reject(
            new ServiceUnavailableError(
              `No database connection became free within ${this.acquireTimeoutMs} ms; retry shortly`,
            ),
          );
        }, this.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private release(n: number): void {
    this.free += n;
    this.grantWaiting();
  }

  private grantWaiting(): void {
    while (this.waiters.length && this.free >= this.waiters[0]!.need) {
      const next = this.waiters.shift()!;
      this.free -= next.need;
      next.grant();
    }
  }
}

/** Counts statements sent to PostgreSQL; tests and benchmarks read it. */
export class StatementCounter {
  count = 0;
  /** the last 50 statements with their parameters (tests EXPLAIN them) */
  recent: Array<{ query: string; params: unknown[] }> = [];
  record(query: string, params: unknown[]): void {
    this.count++;
    if (this.recent.length >= 50) this.recent.shift();
    this.recent.push({ query, params });
  }
  reset(): void {
    this.count = 0;
    this.recent = [];
  }
}

export interface Database {
  db: Db;
  sql: postgres.Sql;
  /** the gated, counted client drizzle runs on (the read router composes it) */
  client: postgres.Sql;
  gate: ConnectionGate;
  statements: StatementCounter;
  close(timeoutS?: number): Promise<void>;
}

/**
 * Server-side limits: a runaway query or a forgotten transaction cannot hold a connection. Set per
 * connection at startup, or (behind PgBouncer) as the role's defaults in the database.
 */
export function sessionLimits(pool: Pick<Config['db']['pool'], 'statementTimeoutMs'>) {
  return {
    statement_timeout: pool.statementTimeoutMs,
    idle_in_transaction_session_timeout: Math.max(pool.statementTimeoutMs * 2, 10_000),
  };
}

export function createDatabase(
  url: string,
  pool: Config['db']['pool'],
  log?: Logger,
  applicationName = 'steeple',
): Database {
  const statements = new StatementCounter();
  // Behind PgBouncer in transaction mode (1.18) each transaction may get another server
  // connection: a named prepared statement may not exist there, and startup parameters other than
  // application_name are refused. So statements go unnamed, and the timeouts are the role's
  // (applyRoleSettings, run with the migrations) instead of the connection's.
  const pooled = pool.pooler === 'pgbouncer';
  const sql = postgres(url, {
    max: pool.max,
    // (postgres.js reads it; its types do not list it)
    ...({ max_pipeline: pool.pipeline } as object),
    idle_timeout: pool.idleTimeoutS,
    connect_timeout: pool.connectTimeoutS,
    max_lifetime: pool.maxLifetimeS || null,
    onnotice: () => {},
    // no array parameters are sent (id lists travel as text), so the per-connection catalog
    // lookup postgres.js would make for array types is not needed
    fetch_types: false,
    prepare: !pooled,
    connection: pooled ? { application_name: applicationName } : { application_name: applicationName, ...sessionLimits(pool) },
    debug: (_conn, query, params) => statements.record(query, params as unknown[]),
  });
  // pool.pipeline statements in flight per connection: postgres.js writes the statements queued on
  // a connection in one go and PostgreSQL answers them in order, so a busy process makes one system
  // call and one server wake-up for several statements instead of one each (see Benchmarks)
  const gate = new ConnectionGate(pool.max * pool.pipeline, pool.acquireTimeoutMs);
  const gated = gateClient(sql, gate, pool.slowQueryMs, !pooled, log, statementDeadlineMs(pool), pool.pipeline);
  const db = drizzle({ client: gated, schema, casing: 'snake_case' });
  return {
    db,
    sql,
    client: gated,
    gate,
    statements,
    close: (timeoutS = 5) => sql.end({ timeout: timeoutS }),
  };
}

/**
 * How long a single statement may take as the client sees it: the server's statement timeout plus
 * the time to (re)connect, and a second. PostgreSQL ends a statement that runs too long, but not one
 * that never reached it: a query queued on a connection that keeps reconnecting (a pooler that
 * closes during startup while it restarts; postgres.js retries such a close without a bound) or
 * written to a socket whose peer vanished. Past this, the query is cancelled (taken off the queue
 * if it was never sent) and the caller gets a retryable SERVICE_UNAVAILABLE instead of a hang.
 * 0 (no statement timeout): no deadline.
 */
export function statementDeadlineMs(pool: Pick<Config['db']['pool'], 'statementTimeoutMs' | 'connectTimeoutS'>): number {
  return pool.statementTimeoutMs > 0 ? pool.statementTimeoutMs + pool.connectTimeoutS * 1000 + 1000 : 0;
}

/** Runs a postgres.js query with a client-side deadline (see statementDeadlineMs). */
function withDeadline<T>(q: { cancel(): unknown }, result: PromiseLike<T>, ms: number): Promise<T> {
  if (ms <= 0) return Promise.resolve(result);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      q.cancel();
      reject(new ServiceUnavailableError(`The database did not answer within ${ms} ms; retry shortly`));
    }, ms);
    result.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * A statement that may have others pipelined behind it on its connection: a plain read, which
 * waits on no row lock. A write (or a locking read, an advisory lock) may wait on a lock held by a
 * transaction on another connection that in turn awaits a read the pipeline would have queued
 * behind it; so nothing is queued behind one of those (the connection takes the next statement
 * once it is answered). Reads may still queue behind a slow read: DB_PIPELINE bounds how many.
 */
export function pipelineSafe(query: string): boolean {
  return /^\s*select\b/i.test(query) && !/\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b|\bpg_(advisory|sleep)|\b(insert|update|delete)\b/i.test(query);
}
/**
 * A client whose `unsafe` takes its parameters as a function, called when the statement is sent (the
 * gated one): it returns the parameters, or a text and its parameters to send instead (a coalesced
 * batch that holds one id at that moment goes as the one-id statement; both texts plain reads).
 */
export const LAZY_PARAMS = Symbol('steeple.lazyParams');

/** postgres.js: `onexecute` answering false leaves a connection "full" until this statement is answered */
const ALONE = { onexecute: () => false } as object;

/**
 * Wraps the two entry points drizzle uses on the root client: `unsafe` (one statement, awaited or
 * `.values()`) and `begin` (a transaction holding one connection). Each takes a gate permit for its
 * whole duration. Statements inside a transaction run on the transaction's own handle, ungated.
 */
function gateClient(sql: postgres.Sql, gate: ConnectionGate, slowMs: number, prepare: boolean, log?: Logger, deadlineMs = 0, perConnection = 1): postgres.Sql {
  const pipelined = perConnection > 1;
  // `query`: the text, or a function of it (a coalesced batch's text is chosen as it is sent)
  const timed = async <T>(query: string | (() => string), run: () => PromiseLike<T>, weight = 1): Promise<T> => {
    const started = performance.now();
    try {
      return await gate.run(run, weight);
    } finally {
      const ms = performance.now() - started;
      addStage('sql', ms / 1000);
      sqlStatements.inc();
      if (slowMs > 0 && ms >= slowMs && log) log.warn({ ms: Math.round(ms), query: (typeof query === 'function' ? query() : query).slice(0, 500) }, 'slow sql');
    }
  };
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        // params may be a function, called as the gate lets the statement go (src/db/coalesce.ts)
        return (query: string, params?: unknown[] | (() => unknown[] | { query: string; params: unknown[] }), opts?: postgres.UnsafeQueryOptions) => {
          // postgres.js queries are lazy thenables; drizzle awaits them or calls .values() first
          const alone = pipelined && !pipelineSafe(query);
          let text = query;
          const run = (values: boolean) =>
            timed(() => text, () => {
              // drizzle sends unnamed statements (parsed and planned on every call: ~1 ms of
              // PostgreSQL CPU each); named prepared statements are parsed once per connection and
              // their plans cached. Query texts are stable: id lists travel as one parameter.
              // (Not behind PgBouncer: see createDatabase.)
              let sent = (typeof params === 'function' ? params() : params) as postgres.ParameterOrJSON<never>[] | { query: string; params: unknown[] } | undefined;
              if (sent && !Array.isArray(sent)) ({ query: text, params: sent } = sent as { query: string; params: postgres.ParameterOrJSON<never>[] });
              const q = target.unsafe(text, sent as postgres.ParameterOrJSON<never>[] | undefined, alone ? { ...opts, prepare, ...ALONE } : { ...opts, prepare });
              return withDeadline(q, values ? q.values() : q, deadlineMs);
            }, alone ? perConnection : 1);
          return {
            values: () => run(true),
            then: (ok?: (v: unknown) => unknown, fail?: (e: unknown) => unknown) => run(false).then(ok, fail),
          };
        };
      }
      if (prop === LAZY_PARAMS) return true;
      if (prop === 'begin') {
        return (...args: unknown[]) =>
          timed('BEGIN', () => (target.begin as (...a: unknown[]) => Promise<unknown>)(...args), perConnection);
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}
