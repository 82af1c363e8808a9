import { defaultBuildResponseCacheKey } from '@envelop/response-cache';
import type { Request, RequestHandler, Response } from 'express';
import { Kind, parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { randomUUID } from 'node:crypto';
import { accessKey, policyFor } from '../cache/policy.js';
import type { CacheDecision } from '../cache/store.js';
import type { AppDeps } from '../graphql/context.js';
import { authenticate } from '../modules/auth/authenticate.js';
import type { AuthState } from '../modules/viewer.js';
import { operationLabel } from '../observability/metrics.js';
import { recordGraphqlRequest } from '../observability/plugin.js';
import { renewSessionCookie } from './cookie.js';

/** What the door settled for this request; the GraphQL context is built from it (app.ts). */
export interface DoorState {
  requestId: string;
  /** who is asking, authenticated once, here */
  auth?: AuthState;
  /** authentication could not be done (Redis or PostgreSQL down): the context answers it */
  authFailure?: unknown;
  /** a cacheable request that missed: execution writes the answer under this key */
  cache?: CacheDecision;
}

export function doorOf(res: Response): DoorState {
  return res.locals.door as DoorState;
}

interface KnownDocument {
  /** the operation a request with this operationName runs, when it is a valid query */
  operations: Map<string, OperationDefinitionNode>;
}

const MAX_DOCUMENTS = 1000;
const REQUEST_ID = /^[\w.:-]{1,100}$/;

/**
 * Every /graphql request comes through this one door, hit or miss:
 * - its request id (the caller's X-Request-Id when it is sane, else a new one) is set once;
 * - the caller is authenticated once (cookie or bearer token) and the session cookie renewed once;
 * - for a query the cache policy allows (src/cache/policy.ts), the key is built once (document,
 *   variables, operation name and the viewer's access) and Redis read once: a hit is answered
 *   here, with the same headers, metrics and log line as an executed request; a miss goes on to
 *   Apollo carrying the decision, so execution neither decides, keys nor reads again
 *   (src/graphql/plugins/response-cache.ts writes the answer under it).
 * Everything else — anonymous, a mutation, an unknown or invalid document, a batch — goes on to
 * Apollo with the authentication done.
 */
export function cacheDoor(deps: AppDeps, schema: GraphQLSchema): RequestHandler {
  const { cache, config } = deps;
  const known = new Map<string, KnownDocument | null>();
  const lookup = (query: string): KnownDocument | null => {
    const seen = known.get(query);
    if (seen !== undefined) return seen;
    let doc: KnownDocument | null = null;
    try {
      const document = parse(query, { maxTokens: config.graphql.maxTokens });
      if (!validate(schema, document).length) {
        const operations = new Map<string, OperationDefinitionNode>();
        const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
        for (const op of ops) if (op.operation === 'query') operations.set(op.name?.value ?? '', op);
        if (ops.length === 1 && ops[0]!.operation === 'query') operations.set('', ops[0]!);
        doc = operations.size && !document.definitions.some((d) => d.kind === Kind.FRAGMENT_DEFINITION) ? { operations } : null;
      }
    } catch {
      doc = null;
    }
    if (known.size >= MAX_DOCUMENTS) known.delete(known.keys().next().value!);
    known.set(query, doc);
    return doc;
  };

  /** The query operation this request runs, when it is a candidate for the cache at all. */
  const candidate = (req: Request) => {
    const body = req.body as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
    if (req.method !== 'POST' || !body || Array.isArray(body) || typeof body.query !== 'string' || !req.is('application/json')) return null;
    const variables = body.variables ?? {};
    if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) return null;
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    return { query: body.query, variables: variables as Record<string, unknown>, operationName };
  };

  return async (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.get('x-request-id');
    const door: DoorState = { requestId: given && REQUEST_ID.test(given) ? given : randomUUID() };
    res.locals.door = door;
    res.setHeader('x-request-id', door.requestId);
    try {
      door.auth = await authenticate(
        { cookieHeader: req.headers.cookie, authorization: req.headers.authorization },
        { db: deps.db, sessions: deps.sessions, cookieName: config.auth.cookieName, log: deps.log },
      );
    } catch (e) {
      door.authFailure = e; // Apollo answers it (503 when Redis or PostgreSQL is down)
      return next();
    }
    renewSessionCookie(res, config.auth, door.auth, Boolean(req.headers.authorization));
    const viewer = door.auth.viewer;
    if (!cache || !viewer) return next();
    const c = candidate(req);
    if (!c) return next();
    try {
      // documents are parsed here only for a signed-in viewer, so strangers cannot fill the map
      const op = lookup(c.query)?.operations.get(c.operationName ?? '');
      const policy = op && policyFor(op, c.variables);
      if (!op || !policy) return next();
      const key = await defaultBuildResponseCacheKey({
        documentString: c.query,
        variableValues: c.variables,
        operationName: c.operationName,
        sessionId: accessKey(viewer),
      });
      const name = c.operationName ?? op.name?.value ?? 'anonymous';
      const attempt = { failed: false };
      const hit = await cache.peek(key, name, attempt);
      if (hit) {
        res.setHeader('cache-control', 'no-store');
        res.type('application/json').send(`${hit}\n`);
        const log = deps.log.child({ requestId: door.requestId, userId: viewer.userId });
        recordGraphqlRequest(log, { operation: operationLabel(name, true), type: 'query', seconds: Number(process.hrtime.bigint() - started) / 1e9, codes: [] });
        return;
      }
      door.cache = { key, ttlMs: policy.ttlMs, attempt };
      res.once('close', cache.missed(key, { tags: policy.tags, operation: name, attempt }));
    } catch (e) {
      deps.log.warn({ err: e, requestId: door.requestId }, 'cache door: served without the cache');
      delete door.cache;
    }
    next();
  };
}
