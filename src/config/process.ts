/**
 * The environment variables that are not configuration, read here so that src/config stays the
 * only reader of process.env: a secret handed to a CLI, and what npm start's primary hands to the
 * API processes it forks (set by main.ts, never by a user).
 */

/** user:create's password, when not on the command line (keeps it out of shell history). */
export function cliPassword(): string | undefined {
  return process.env.STEEPLE_PASSWORD || undefined;
}

export interface ClusterHandoff {
  slot: number;
  databaseUrl: string;
  redisUrl: string;
}

/** The variables main.ts's primary sets on each API process it forks. */
export function clusterHandoffEnv(h: ClusterHandoff): Record<string, string> {
  return { STEEPLE_API_SLOT: String(h.slot), STEEPLE_DATABASE_URL: h.databaseUrl, STEEPLE_REDIS_URL: h.redisUrl };
}

/** In a forked API process: what the primary handed over. */
export function clusterHandoff(): ClusterHandoff {
  const { STEEPLE_API_SLOT: slot, STEEPLE_DATABASE_URL: databaseUrl, STEEPLE_REDIS_URL: redisUrl } = process.env;
  if (!slot || !databaseUrl || !redisUrl) throw new Error('an API process must be started by npm start (its primary hands over the URLs)');
  return { slot: Number(slot), databaseUrl, redisUrl };
}
