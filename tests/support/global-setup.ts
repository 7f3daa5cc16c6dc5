import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureSigningKey } from '../../shared/src/auth/keys';
import { startEmbeddedPostgres } from '../../shared/src/runtime/postgres';

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
  const postgres = await startEmbeddedPostgres({ dataDir: join(root, 'postgres') });
  project.provide('postgresPort', postgres.port);
  project.provide('keysDir', keysDir);
  return async () => {
    await postgres.stop();
    rmSync(root, { recursive: true, force: true });
  };
}
