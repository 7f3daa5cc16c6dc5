import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** A URL for a new, uniquely named database on the run's Postgres; services create it on first connect. */
export function freshDatabaseUrl(label: string): string {
  const name = `${label.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  return `postgres://postgres:postgres@127.0.0.1:${inject('postgresPort')}/${name}`;
}

export function keysDir(): string {
  return inject('keysDir');
}

/**
 * The settings of a subgraph started inside the test process: quiet, on a free port of loopback,
 * with the run's keys and its own database; `extra` adds or overrides (feed URLs, intervals).
 */
export function subgraphEnv(
  databaseUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    JWT_KEYS_DIR: keysDir(),
    DATABASE_URL: databaseUrl,
    ...extra,
  };
}
