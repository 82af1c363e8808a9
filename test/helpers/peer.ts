import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../src/config/env.js';
import { createDatabase } from '../../src/db/client.js';
import { createApp, type AppHandle } from '../../src/http/app.js';
import { buildDeps, type Deps } from '../../src/http/deps.js';
import { createLogger } from '../../src/lib/logger.js';
import { authzTopic, channelPrefix } from '../../src/realtime/topics.js';
import { freePort, type GqlResult, type TestServer } from './server.js';

/**
 * A second API process of the same deployment as `base`: its own app, pools and Redis connections,
 * the same database, Redis and key prefix (what two `npm start` workers or two hosts share).
 */
export interface PeerServer {
  url: string;
  deps: Deps;
  handle: AppHandle;
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export async function startPeer(base: TestServer, override: (c: Config) => Config = (c) => c): Promise<PeerServer> {
  const port = await freePort();
  const config = override({ ...base.config, http: { ...base.config.http, port } });
  const log = createLogger(config.log.level);
  const database = createDatabase(config.db.url!, config.db.pool, log);
  const redis = new Redis(config.redis.url!, { keyPrefix: config.redis.keyPrefix, maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // as the test server's: a stopped Redis shows in failed commands
  const deps = buildDeps(config, database.db, redis, log, config.redis.url!);
  const handle = await createApp(deps);
  await new Promise<void>((r) => handle.httpServer.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(handle.httpServer.address() as AddressInfo).port}`;
  return {
    url,
    deps,
    handle,
    async gql(query, variables, headers = {}) {
      const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
      return { status: res.status, headers: res.headers, ...((await res.json()) as object) } as GqlResult<never>;
    },
    async close() {
      await handle.apollo.stop();
      await deps.close();
      await database.close();
      redis.disconnect();
    },
  };
}

/**
 * Resolves once `n` connections listen for the deployment's authorization changes (every API
 * process subscribes while it starts; tests that revoke wait for that instead of sleeping).
 */
export async function authzListeners(s: TestServer, n: number, timeoutMs = 5000): Promise<void> {
  const channel = authzTopic(channelPrefix(s.config.redis.keyPrefix, s.config.redis.url!));
  const raw = new Redis(s.config.redis.url!);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const [, count] = (await raw.pubsub('NUMSUB', channel)) as [string, number];
      if (Number(count) >= n) return;
      if (Date.now() > deadline) throw new Error(`only ${count} of ${n} API processes listen on ${channel}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    raw.disconnect();
  }
}
