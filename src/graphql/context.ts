import type { Config } from '../config/env.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import { createLoaders, type Loaders } from './loaders.js';

export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
}

export interface Context extends AppDeps {
  loaders: Loaders;
  requestId: string;
}

export function createContext(deps: AppDeps, requestId: string): Context {
  return { ...deps, loaders: createLoaders(deps.db), requestId, log: deps.log.child({ requestId }) };
}
