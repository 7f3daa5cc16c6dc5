import { ConfigError } from '../config';
import { announceReady } from '../runtime/service-process';
import { startTracing, type Tracing } from '../tracing/tracing';

interface Stoppable {
  port: number;
  stop(): Promise<void>;
}

/**
 * Runs a service as a process: a configuration error stops it with a message naming the setting;
 * SIGINT/SIGTERM stop it cleanly; a supervisor (npm start, tests) hears when it is ready.
 * Tracing starts first, when configured: `start` imports the service's code only then (see
 * shared/src/tracing/tracing.ts).
 */
export async function runMain(service: string, start: () => Promise<Stoppable>): Promise<void> {
  let running: Stoppable;
  let tracing: Tracing | undefined;
  try {
    tracing = startTracing(service);
    running = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    process.stderr.write(
      `${service} failed to start: ${(error as Error).stack ?? String(error)}\n`,
    );
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    await tracing?.shutdown().catch(() => undefined); // a collector gone must not hold the exit
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Started by a supervisor (npm start, a test): when it is gone, whether it stopped or was
  // killed, so is the reason to run. Nothing is left listening on its ports for the next run.
  process.once('disconnect', shutdown);
  announceReady(service, running.port);
}
