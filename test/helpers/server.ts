import 'reflect-metadata';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { createApp, type AppHandle } from '../../src/http/app.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestDatabase } from './db.js';

export interface GqlResult<T> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string; field?: string } }>;
}

export interface TestServer {
  url: string;
  config: Config;
  database: Database;
  handle: AppHandle;
  gql<T = any, V = Record<string, unknown>>(
    doc: string | DocumentNode | TypedDocumentNode<T, V>,
    variables?: V,
    headers?: Record<string, string>,
  ): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

/** The real app on a random port, against a database of its own. */
export async function startTestServer(tag: string, env: Record<string, string> = {}): Promise<TestServer> {
  const testDb = await createTestDatabase(tag);
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: testDb.url, ...env });
  const log = createLogger(config.log.level);
  const database = createDatabase(testDb.url, config.db.pool, log);
  const handle = await createApp({ config, db: database.db, log }, [() => database.sql`SELECT 1`]);
  await new Promise<void>((r) => handle.httpServer.listen(0, '127.0.0.1', r));
  const { port } = handle.httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    config,
    database,
    handle,
    async gql(doc, variables, headers = {}) {
      const query = typeof doc === 'string' ? doc : print(doc);
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as Omit<GqlResult<never>, 'status' | 'headers'>;
      return { status: res.status, headers: res.headers, ...body } as GqlResult<never>;
    },
    async close() {
      await handle.apollo.stop();
      await database.close();
      await testDb.drop();
    },
  };
}
