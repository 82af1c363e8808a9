import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Kind, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Db } from '../db/client.js';
import { randomUUID } from 'node:crypto';
import { responseCacheKey } from '../cache/key.js';
import { accessKey, policyFor } from '../cache/policy.js';
import type { CacheDecision } from '../cache/store.js';
import type { Config } from '../config/env.js';
import { createContext, type AppDeps, type HttpExchange } from '../graphql/context.js';
import { DocumentStore } from '../graphql/documents.js';
import type { TrustedDocuments } from '../graphql/trusted-documents.js';
import { formatError, logGraphQLError, RETRY_AFTER_S } from '../graphql/errors.js';
import { settleErrors } from '../graphql/plugins/errors.js';
import { checkLimits } from '../graphql/plugins/limits.js';
import { authenticate } from '../modules/auth/authenticate.js';
import type { AuthState } from '../modules/viewer.js';
import { stage } from '../observability/budget.js';
import { operationLabel } from '../observability/metrics.js';
import { recordGraphqlRequest } from '../observability/plugin.js';
import { clearSessionCookie, renewSessionCookie, setSessionCookie } from './cookie.js';

/** What the door settled for this request; the GraphQL context is built from it (app.ts). */
export interface DoorState {
  requestId: string;
  /** who is asking, authenticated once, here */
  auth?: AuthState;
  /** authentication could not be done (Redis or PostgreSQL down): the context answers it */
  authFailure?: unknown;
  /** a cacheable request that missed: execution writes the answer under this key */
  cache?: CacheDecision;
  /** a read-only operation routed to the replica (src/db/replica.ts): the context's database */
  db?: Db;
}

/** The root fields whose reads may go to the replica: the directory (and its search) and analytics. */
const REPLICA_ROOTS = new Set(['members', 'member', 'households', 'household', 'groups', 'group', 'analytics', '__typename']);
const readOnly = new WeakMap<OperationDefinitionNode, boolean>();
/** A query whose root fields are all replica reads (memoized per parsed operation). */
function replicaEligible(op: OperationDefinitionNode): boolean {
  let r = readOnly.get(op);
  if (r === undefined) {
    r = op.operation === 'query' && op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && REPLICA_ROOTS.has(s.name.value));
    readOnly.set(op, r);
  }
  return r;
}

export function doorOf(res: Response): DoorState {
  return res.locals.door as DoorState;
}

const REQUEST_ID = /^[\w.:-]{1,100}$/;
const JSON_TYPE = 'application/json; charset=utf-8';

interface Params {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

/** GET's parameters as a POST body spells them (variables and extensions are JSON); null: unreadable. */
function getParams(req: Request): Params | null {
  const q = req.query as Record<string, unknown>;
  const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);
  try {
    return { query: q.query, variables: json(q.variables), operationName: q.operationName, extensions: json(q.extensions) };
  } catch {
    return null; // Apollo answers it
  }
}

/**
 * Apollo's CSRF prevention, for a GET the door would answer itself: a browser sends neither of these
 * on a simple (unpreflighted) cross-site request, so a page elsewhere cannot make it read or run.
 */
function preflighted(req: Request): boolean {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^\s*(text\/plain|application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) return true;
  return req.headers['apollo-require-preflight'] !== undefined || req.headers['x-apollo-operation-name'] !== undefined;
}

/** The request as the door can serve it: one JSON operation (no batch, no extensions left). */
function candidate(req: Request, res: Response, body: Params | null | undefined) {
  if (!body || Array.isArray(body) || typeof body.query !== 'string' || body.extensions !== undefined) return null;
  if (req.method === 'GET') {
    if (!preflighted(req)) return null; // Apollo refuses it
  } else if (req.method !== 'POST') return null;
  // (the lane has checked the media type of what it parsed)
  else if (res.locals.laned !== true && !req.is('application/json')) return null;
  // Apollo negotiates the answer's media type; the door answers plain JSON only
  const accept = req.headers.accept;
  if (accept && accept !== '*/*' && !/^application\/json\b/.test(accept) && !/(^|,)\s*(\*\/\*|application\/json)\s*(;|,|$)/.test(accept)) return null;
  if (accept && /graphql-response\+json|multipart\//.test(accept)) return null;
  const variables = body.variables ?? {};
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) return null;
  if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string') return null;
  const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
  return { query: body.query, variables: variables as Record<string, unknown>, operationName };
}

/** What resolvers may do to this exchange: the caller's address and the session cookie. */
export function exchangeFor(req: Request, res: Response, auth: Config['auth'], door: DoorState, clientIp: (req: Request) => string): HttpExchange {
  return {
    get ip() {
      return clientIp(req);
    },
    cache: door.cache,
    // one Set-Cookie per answer: the door's renewal and a login/logout do not both go out
    setSessionCookie: (id) => setSessionCookie(res, auth, id),
    clearSessionCookie: () => clearSessionCookie(res, auth),
  };
}

function sendJson(res: Response, status: number, text: string | Buffer): void {
  res.statusCode = status;
  res.setHeader('content-type', JSON_TYPE);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * Every /graphql request comes through this one door:
 * - its request id (the caller's X-Request-Id when it is sane, else a new one) is set once;
 * - the caller is authenticated once (cookie or bearer token) and the session cookie renewed once;
 * - for a query the cache policy allows (src/cache/policy.ts), the key is built once (document,
 *   variables, operation name and the viewer's access) and Redis read once: a hit is answered
 *   here; a miss goes on to Apollo carrying the decision, so execution neither decides, keys nor
 *   reads again (src/graphql/plugins/response-cache.ts writes the answer under it);
 * - any other operation of a document that parses and validates, within the limits, with
 *   variables that coerce, is executed here, compiled by graphql-jit (src/graphql/documents.ts),
 *   with the same context, error mapping, logging, metrics and 503 rule as Apollo's plugins.
 * - a persisted-query hash is resolved to its text first (trusted-documents.ts), or refused in
 *   allow-list mode; GET is served like POST (queries only, with Apollo's CSRF rule), response
 *   cache included. Every answer says Cache-Control: no-store, and private for a viewer: no
 *   operation is public (the cache policy caches only per viewer access), so no CDN may keep one.
 * Everything else (a document with errors, a batch, a hash the door does not know, a
 * subscription, a variable that does not coerce, an operation over a limit) goes on to Apollo,
 * which answers it with its own errors. Hits and executions get the same request id, log line and metrics.
 */
export function cacheDoor(deps: AppDeps, schema: GraphQLSchema, trusted: TrustedDocuments, clientIp: (req: Request) => string): RequestHandler {
  const { cache, config } = deps;
  const documents = new DocumentStore(schema, { maxTokens: config.graphql.maxTokens, introspection: !config.isProduction });
  const fmt = formatError();

  return async (req, res, next) => {
    const started = process.hrtime.bigint();
    if (typeof res.locals.arrived === 'bigint') stage('http', res.locals.arrived);
    // (node's request and response only: a request the lane brought has no Express prototypes)
    const given = req.headers['x-request-id'];
    const door: DoorState = { requestId: typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID() };
    res.locals.door = door;
    res.setHeader('x-request-id', door.requestId);
    // the answer is the viewer's (or nobody's): no shared cache may keep it (private once signed in)
    res.setHeader('cache-control', 'no-store');
    let body = (req.method === 'GET' ? getParams(req) : req.body) as Params | null | undefined;
    if (trusted.mode !== 'off' && (body || trusted.mode === 'only') && !Array.isArray(body)) {
      // (in allow-list mode a GET whose parameters do not read is refused here, not left to Apollo)
      const r = body ? trusted.resolve(body.query, body.extensions) : trusted.unreadable();
      if (r.kind === 'refuse') {
        const text = JSON.stringify({ errors: [{ message: r.message, extensions: { code: r.code, requestId: door.requestId } }] });
        sendJson(res, r.status, `${text}\n`);
        deps.log.info({ code: r.code, requestId: door.requestId }, 'client error');
        recordGraphqlRequest(deps.log, { operation: operationLabel('anonymous', false), type: 'query', seconds: seconds(started), codes: [r.code] }, { requestId: door.requestId });
        return;
      }
      if (r.kind === 'text' && body) body = asText(req, body, r.query, r.extensions);
    }
    try {
      door.auth = await authenticate(
        { cookieHeader: req.headers.cookie, authorization: req.headers.authorization },
        { db: deps.db, sessions: deps.sessions, cookieName: config.auth.cookieName, log: deps.log },
      );
    } catch (e) {
      door.authFailure = e; // Apollo answers it (503 when Redis or PostgreSQL is down)
      return apollo(res, next);
    }
    let t = stage('auth', started);
    renewSessionCookie(res, config.auth, door.auth, Boolean(req.headers.authorization));
    const viewer = door.auth.viewer;
    if (viewer) res.setHeader('cache-control', 'private, no-store');
    const c = candidate(req, res, body);
    if (!c) return apollo(res, next);
    const doc = documents.get(c.query);
    const op = doc?.operations.get(c.operationName ?? '');
    t = stage('parse', t);
    // over GET only queries run (Apollo answers anything else with 405)
    if (!doc || !op || op.operation === 'subscription' || (req.method === 'GET' && op.operation !== 'query')) return apollo(res, next);
    const name = c.operationName ?? op.name?.value ?? 'anonymous';
    const bindings = { requestId: door.requestId, userId: viewer?.userId };
    const policy = cache && viewer && !doc.hasFragments ? policyFor(op, c.variables, viewer) : null;
    const key = policy && viewer ? responseCacheKey({ documentId: doc.id, operationName: c.operationName, variables: c.variables, access: accessKey(viewer) }) : null;
    if (policy && cache && key !== null) {
      try {
        const attempt = { failed: false };
        const hit = await cache.peek(key, name, attempt);
        t = stage('cache', t);
        if (hit) {
          sendJson(res, 200, hit);
          recordGraphqlRequest(deps.log, { operation: operationLabel(name, true), type: 'query', seconds: seconds(started), codes: [] }, bindings);
          return;
        }
        door.cache = { key, ttlMs: policy.ttlMs, attempt };
        if (deps.router && replicaEligible(op)) door.db = await deps.router.readDbFor(viewer?.userId);
        res.once('close', cache.missed(key, { tags: policy.tags, operation: name, attempt }));
      } catch (e) {
        deps.log.warn({ err: e, requestId: door.requestId }, 'cache door: served without the cache');
        delete door.cache;
      }
      // a miss is executed by envelop inside Apollo, which collects the answer's entities
      return apollo(res, next);
    }
    try {
      checkLimits(config.graphql, schema, op, doc.fragments, c.variables, Boolean(viewer));
    } catch {
      return apollo(res, next); // Apollo refuses it with the same error
    }
    t = stage('limits', t);
    const compiled = documents.compiled(doc, c.operationName ?? '');
    t = stage('parse', t);
    if (!compiled) return apollo(res, next);
    if (deps.router && replicaEligible(op)) door.db = await deps.router.readDbFor(viewer?.userId);
    const ctx = createContext(deps, door.auth, exchangeFor(req, res, config.auth, door, clientIp), door.requestId, door.db);
    let result: ExecutionResult;
    try {
      result = await compiled.query(undefined, ctx, c.variables);
      // the viewer's next reads, on any process, must see what this wrote (src/db/replica.ts)
      if (op.operation === 'mutation' && viewer && deps.router) await noteWrite(deps, viewer.userId, door.requestId);
    } catch (e) {
      ctx.log.error({ err: e, operationName: name }, 'internal error');
      const text = JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: door.requestId } }] });
      sendJson(res, 500, `${text}\n`);
      return;
    }
    t = stage('execute', t);
    // variables that do not coerce: nothing ran; Apollo answers with its errors
    if (!('data' in result)) return apollo(res, next);
    const operation = operationLabel(name, Boolean(viewer));
    if (!result.errors?.length) {
      const text = `${JSON.stringify({ data: result.data })}\n`;
      stage('serialize', t);
      sendJson(res, 200, text);
      recordGraphqlRequest(deps.log, { operation, type: op.operation, seconds: seconds(started), codes: [] }, bindings);
      return;
    }
    for (const e of result.errors) logGraphQLError(ctx.log, e, c.operationName);
    const errors = result.errors.map((e) => fmt(e.toJSON(), e));
    const { unavailable } = settleErrors(errors, result.data, door.requestId);
    if (unavailable) res.setHeader('retry-after', String(RETRY_AFTER_S));
    const text = `${JSON.stringify({ errors, data: result.data })}\n`;
    stage('serialize', t);
    sendJson(res, unavailable ? 503 : 200, text);
    recordGraphqlRequest(deps.log, { operation, type: op.operation, seconds: seconds(started), codes: errors.map((e) => String(e.extensions?.code ?? 'UNKNOWN')) }, bindings);
  };
}

/**
 * The request rewritten to the text a persisted-query hash names, for the door and for Apollo
 * alike: the POST body, or GET's query string (which Apollo reads from req.url).
 */
function asText(req: Request, body: Params, query: string, extensions: Record<string, unknown> | undefined): Params {
  const next: Params = { ...body, query, extensions };
  if (extensions === undefined) delete next.extensions;
  if (req.method === 'GET') {
    const search = new URLSearchParams({ query });
    if (next.variables !== undefined) search.set('variables', JSON.stringify(next.variables));
    if (typeof next.operationName === 'string') search.set('operationName', next.operationName);
    if (extensions !== undefined) search.set('extensions', JSON.stringify(extensions));
    req.url = `${req.url.split('?')[0]}?${search.toString()}`;
  } else req.body = next;
  return next;
}

/** Records a viewer's write for read routing; a failure is logged (their next reads may then lag). */
export async function noteWrite(deps: AppDeps, userId: number, requestId: string): Promise<void> {
  await deps.router?.noteWrite(userId).catch((e: unknown) => deps.log.warn({ err: e, requestId }, 'could not record the write for read routing'));
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/** On to Apollo, whose share of the budget is timed from here to the answer. */
function apollo(res: Response, next: NextFunction): void {
  const from = process.hrtime.bigint();
  res.once('finish', () => stage('apollo', from));
  next();
}
