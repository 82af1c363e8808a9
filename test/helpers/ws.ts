import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface WsOutcome {
  events: Array<Record<string, any>>;
  errors: Array<{ message: string; extensions?: Record<string, unknown> }>;
  /** every frame received, as text: a leak check reads it */
  raw: string;
}

/**
 * Subscribes over graphql-ws with the given HTTP headers on the upgrade request (the session
 * cookie) and connection params, collects events until `count` arrived, an error, completion or
 * `timeoutMs`, then disconnects.
 */
export function subscribe(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown>,
  opts: { headers?: Record<string, string>; connectionParams?: Record<string, unknown>; count?: number; timeoutMs?: number } = {},
): Promise<WsOutcome> {
  const url = `${httpUrl.replace(/^http/, 'ws')}/graphql`;
  const headers = opts.headers ?? {};
  let raw = '';
  class HeaderSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
      this.on('message', (d) => (raw += `${d.toString()}\n`));
    }
  }
  const client = createClient({ url, webSocketImpl: HeaderSocket, connectionParams: opts.connectionParams, retryAttempts: 0, lazy: true });
  const out: WsOutcome = { events: [], errors: [], raw: '' };
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      void client.dispose();
      out.raw = raw;
      resolve(out);
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 3000);
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (r) => {
          if (r.errors?.length) out.errors.push(...(r.errors as WsOutcome['errors']));
          if (r.data) out.events.push(r.data as Record<string, any>);
          if (r.errors?.length || out.events.length >= (opts.count ?? 1)) finish();
        },
        error: (e) => {
          const list = Array.isArray(e) ? e : [e instanceof Error ? { message: e.message } : { message: String((e as { reason?: string }).reason ?? e) }];
          out.errors.push(...(list as WsOutcome['errors']));
          finish();
        },
        complete: finish,
      },
    );
  });
}
