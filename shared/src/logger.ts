import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process; request handlers take a child with the request id. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
