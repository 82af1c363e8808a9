import { persistedExchange } from '@urql/exchange-persisted';
import { createClient as createWsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';

/**
 * The API: the app's own origin when the API serves it at /app; VITE_API_URL for the dev server
 * (a CORS origin of the API: CORS_ORIGINS).
 */
export const API_URL: string = import.meta.env.VITE_API_URL ?? `${window.location.origin}/graphql`;

const ws = createWsClient({ url: API_URL.replace(/^http/, 'ws'), lazy: true, retryAttempts: 5 });

export const client = new Client({
  url: API_URL,
  // the session cookie (httpOnly) rides along, across origins too; apollo-require-preflight
  // satisfies Apollo's CSRF prevention for GET (a foreign page cannot send it without a CORS
  // preflight); plain JSON answers are what the API's cache door serves (src/http/cache-door.ts)
  fetchOptions: { credentials: 'include', headers: { 'apollo-require-preflight': 'true', accept: 'application/json' } },
  exchanges: [
    cacheExchange,
    // trusted documents: the hash codegen embedded in each document, never the text; queries go
    // over GET (cacheable URLs)
    persistedExchange({
      enableForMutation: true,
      enableForSubscriptions: true,
      preferGetForPersistedQueries: 'within-url-limit',
      generateHash: async (_text, document) => (document as { __meta__?: { hash?: string } }).__meta__?.hash,
    }),
    fetchExchange,
    subscriptionExchange({
      enableAllOperations: false,
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({
          // a hash-only subscribe still carries a query string (graphql-ws requires one)
          unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink),
        }),
      }),
    }),
  ],
});

/** After sign-in or sign-out: sockets re-authenticate with the new cookie. */
export function resetSocket(): void {
  ws.terminate();
}
