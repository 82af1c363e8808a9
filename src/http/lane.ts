import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countRequest } from '../observability/http.js';
import type { Cors } from './origin.js';

/** JSON in UTF-8 (what body-parser would read without converting): anything else goes to Express. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export interface LaneOptions {
  /** the body limit (the same as express.json's on /graphql) */
  limitBytes: number;
  /** while the server drains, every request goes through Express (its connection rules) */
  draining(): boolean;
  /** the cache door: answers the request, or calls next to go on through Express to Apollo */
  door: RequestHandler;
  /** answers a body that is not JSON, as Express's last error handler does (request-errors.ts) */
  errors: ErrorRequestHandler;
  /** the CORS headers of /graphql (origin.ts), set here as Express's route sets them */
  cors: Cors;
}

/**
 * The request handler of the HTTP server. A POST /graphql with a JSON body of a known length is
 * read and parsed here and handed to the cache door directly, without Express's router and
 * body-parser (they cost a cached answer about a sixth of its CPU); what the door does not answer
 * itself (Apollo's share) continues through Express with the body already parsed, where the
 * /graphql route's middleware sees that and steps aside. Everything else is Express's, unchanged.
 * Requests and their answers are the same either way. The door works with node's own request
 * and response (setting Express's prototypes on each was a tenth of a cached answer's CPU);
 * Express gives them its prototypes when a request goes on to it.
 */
export function graphqlLane(app: Express, o: LaneOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const h = req.headers;
    const length = Number(h['content-length']);
    if (
      req.method !== 'POST' ||
      req.url !== '/graphql' ||
      !(length > 0 && length <= o.limitBytes) ||
      h['transfer-encoding'] !== undefined ||
      h['content-encoding'] !== undefined ||
      !PLAIN_JSON.test(h['content-type'] ?? '') ||
      o.draining()
    ) {
      app(req, res);
      return;
    }
    const arrived = process.hrtime.bigint();
    // node's request and response as they are: the door uses only their own methods, and Express
    // gives them its prototypes when the request goes on to it (app.handle), as for any other
    const r = req as Request;
    const s = res as Response;
    s.locals = Object.create(null) as Response['locals'];
    s.locals.arrived = arrived; // the cost budget's start (budget.ts)
    s.locals.laned = true; // counted here, body parsed (app.ts steps aside)
    countRequest('/graphql', res);
    o.cors.headers(req, res);
    const fail = (e: unknown) => {
      // the error handler is Express's: the request and response get its prototypes first
      Object.setPrototypeOf(req, app.request);
      Object.setPrototypeOf(res, app.response);
      r.res = s;
      s.req = r;
      o.errors(e, r, s, () => res.destroy());
    };
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (e) => fail(Object.assign(e, { status: 400, type: 'request.aborted' })));
    req.on('end', () => {
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      let body: unknown;
      try {
        // strict, as express.json: an object or an array at the top
        const first = /^[\s]*([^\s])/.exec(text)?.[1];
        if (first !== '{' && first !== '[') throw new SyntaxError('not an object or array');
        body = JSON.parse(text);
      } catch (e) {
        fail(Object.assign(e as Error, { status: 400, type: 'entity.parse.failed' }));
        return;
      }
      r.body = body;
      Promise.resolve(o.door(r, s, (e?: unknown) => (e ? fail(e) : app(req, res)))).catch(fail);
    });
  };
}

/** Steps aside for a request the lane has already counted and parsed (app.ts's /graphql route). */
export const laned = (res: Response) => res.locals.laned === true;
