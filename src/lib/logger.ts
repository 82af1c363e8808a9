import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** JSON lines to stdout; a destination stream instead where a test reads what was logged. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = { level, base: { pid: process.pid, ...bindings } };
  return destination ? pino(options, destination) : pino(options);
}
