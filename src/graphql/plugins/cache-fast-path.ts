import { defaultBuildResponseCacheKey } from '@envelop/response-cache';
import type { RequestHandler } from 'express';
import { Kind, parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { policyFor } from '../../cache/policy.js';
import type { CacheAttempt, RedisResponseCache } from '../../cache/store.js';
import type { AppDeps } from '../context.js';
import { authenticate } from '../../modules/auth/authenticate.js';
import { operationLabel, requestDuration } from '../../observability/metrics.js';
import { sessionOf } from './response-cache.js';

interface KnownDocument {
  /** the operation a request with this operationName runs, when it is a valid query */
  operations: Map<string, OperationDefinitionNode>;
}

const MAX_DOCUMENTS = 1000;

/**
 * Serves response-cache hits before Apollo: a hit needs no parsing or validation of a document
 * Apollo already accepted once (that first request went the whole way: limits, authorization,
 * execution), only the viewer's session (to build the same key envelop uses) and one Redis read.
 * Anything else — a miss, an unknown or invalid document, a batch, a mutation — goes on to Apollo.
 */
export function cacheFastPath(deps: AppDeps & { cache: RedisResponseCache }, schema: GraphQLSchema): RequestHandler {
  const known = new Map<string, KnownDocument | null>();
  const lookup = (query: string): KnownDocument | null => {
    if (known.has(query)) return known.get(query)!;
    let doc: KnownDocument | null = null;
    try {
      const document = parse(query, { maxTokens: deps.config.graphql.maxTokens });
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

  return async (req, res, next) => {
    const started = process.hrtime.bigint();
    const body = req.body as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
    if (req.method !== 'POST' || !body || Array.isArray(body) || typeof body.query !== 'string' || !req.is('application/json')) return next();
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    if (typeof variables !== 'object' || Array.isArray(variables)) return next();
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    try {
      // A known document that the policy does not cache goes straight on (no extra work). An
      // unknown one is parsed only for a signed-in viewer, so strangers cannot fill this map.
      const cacheable = (d: KnownDocument | null) => {
        const op = d?.operations.get(operationName ?? '');
        return op && policyFor(op, variables) ? op : null;
      };
      const isKnown = known.has(body.query);
      if (isKnown && !cacheable(known.get(body.query)!)) return next();
      let auth: Awaited<ReturnType<typeof authenticate>>;
      try {
        auth = await authenticate(
          { cookieHeader: req.headers.cookie, authorization: req.headers.authorization },
          { db: deps.db, sessions: deps.sessions, cookieName: deps.config.auth.cookieName, log: deps.log },
        );
      } catch (e) {
        // Apollo answers it (503 when Redis or PostgreSQL is down) without waiting on them again
        res.locals.authFailure = e;
        return next();
      }
      res.locals.auth = auth; // a miss goes on to Apollo without authenticating again
      if (!auth.viewer) return next();
      const op = cacheable(isKnown ? known.get(body.query)! : lookup(body.query));
      if (!op) return next();
      const key = await defaultBuildResponseCacheKey({
        documentString: body.query,
        variableValues: variables,
        operationName,
        sessionId: sessionOf({ auth } as never),
      });
      const name = operationName ?? op.name?.value ?? 'anonymous';
      // the rest of the request (a miss: envelop's read and write) shares this attempt
      const attempt: CacheAttempt = { failed: false };
      res.locals.cacheAttempt = attempt;
      const hit = await deps.cache.peek(key, name, attempt);
      if (!hit) return next();
      // the same headers the full path sets
      const given = req.get('x-request-id');
      if (given && /^[\w.:-]{1,100}$/.test(given)) res.setHeader('x-request-id', given);
      if (auth.viewer.via === 'session' && auth.viewer.sessionId) {
        res.cookie(deps.config.auth.cookieName, auth.viewer.sessionId, {
          httpOnly: true,
          sameSite: 'lax',
          secure: deps.config.auth.cookieSecure,
          path: '/',
          maxAge: deps.config.auth.sessionTtlS * 1000,
        });
      }
      res.setHeader('cache-control', 'no-store');
      res.type('application/json').send(`${hit}\n`);
      requestDuration.observe({ operation: operationLabel(name), type: 'query' }, Number(process.hrtime.bigint() - started) / 1e9);
    } catch {
      next();
    }
  };
}
