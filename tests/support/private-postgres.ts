import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEmbeddedPostgres, type PostgresServer } from '../../shared/src/runtime/postgres';

/**
 * A PostgreSQL of a suite's own, on its own port and data directory, for suites that crash it or
 * change server-wide settings: the run's shared Postgres serves every other suite meanwhile.
 */
export interface PrivatePostgres {
  port: number;
  url(database: string): string;
  /** `pg_ctl stop -m immediate`: every backend dies at once, nothing is checkpointed. */
  crash(): Promise<void>;
  /** Starts it again on the same port and data directory (crash recovery replays the WAL). */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
  /** What the server logged, for a failing test's output. */
  log: string[];
}

export async function startPrivatePostgres(label: string): Promise<PrivatePostgres> {
  const root = resolve('.data', `test-${label}-${randomBytes(4).toString('hex')}`);
  mkdirSync(root, { recursive: true });
  const dataDir = join(root, 'postgres');
  const log: string[] = [];
  const onLog = (line: string) => log.push(line);
  let server: PostgresServer | undefined = await startEmbeddedPostgres({ dataDir, onLog });
  const port = server.port;
  return {
    port,
    url: (database) => `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    log,
    crash: async () => {
      await server?.stopImmediately();
      server = undefined;
    },
    restart: async () => {
      server = await startEmbeddedPostgres({ dataDir, port, onLog });
    },
    destroy: async () => {
      await server?.stop();
      server = undefined;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
