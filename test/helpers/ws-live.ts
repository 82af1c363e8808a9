import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** An open subscription a test can watch over time: events as they come, and how the socket ended. */
export interface LiveSubscription {
  events: Array<Record<string, any>>;
  errors: Array<{ message: string; extensions?: Record<string, unknown> }>;
  /** resolves with the close code and reason when the server (or dispose) closes the socket */
  closed: Promise<{ code: number; reason: string }>;
  /** resolves when `n` events have arrived */
  eventCount(n: number): Promise<void>;
  dispose(): Promise<void>;
}

export function openSubscription(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown>,
  opts: { headers?: Record<string, string>; connectionParams?: Record<string, unknown> } = {},
): LiveSubscription {
  const headers = opts.headers ?? {};
  class HeaderSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createClient({
    url: `${httpUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: HeaderSocket,
    connectionParams: opts.connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const live: LiveSubscription = {
    events: [],
    errors: [],
    closed: new Promise((resolve) => {
      client.on('closed', (e) => {
        const ev = e as { code: number; reason: string };
        resolve({ code: ev.code, reason: String(ev.reason) });
      });
    }),
    eventCount: (n) =>
      new Promise<void>((resolve) => {
        if (live.events.length >= n) resolve();
        else waiters.push({ n, resolve });
      }),
    dispose: () => client.dispose() as Promise<void>,
  };
  client.subscribe(
    { query, variables },
    {
      next: (r) => {
        if (r.errors?.length) live.errors.push(...(r.errors as LiveSubscription['errors']));
        if (r.data) live.events.push(r.data as Record<string, any>);
        for (const w of waiters.filter((x) => live.events.length >= x.n)) w.resolve();
      },
      error: () => {},
      complete: () => {},
    },
  );
  return live;
}
