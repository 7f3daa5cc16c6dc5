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
