import pg from 'pg';
import { DataSource, type DataSourceOptions, type Logger as OrmLogger } from 'typeorm';
import type { Logger } from '../logger';
import { limits } from '../limits';

export interface DatabaseOptions {
  url: string;
  entities: DataSourceOptions['entities'];
  migrations: DataSourceOptions['migrations'];
  logger?: Logger;
  /** Called for every statement sent; tests use it to count round trips. */
  onQuery?: (sql: string) => void;
  poolSize?: number;
  applicationName?: string;
}

/** Forwards TypeORM's events to the structured logger; queries only at debug. */
class OrmLogAdapter implements OrmLogger {
  constructor(
    private readonly logger: Logger | undefined,
    private readonly onQuery?: (sql: string) => void,
  ) {}
  logQuery(query: string): void {
    this.onQuery?.(query);
    this.logger?.trace({ sql: query }, 'query');
  }
  logQueryError(error: string | Error, query: string): void {
    this.logger?.debug({ err: error, sql: query }, 'query failed');
  }
  logQuerySlow(timeMs: number, query: string): void {
    this.logger?.warn({ timeMs, sql: query }, 'slow query');
  }
  logSchemaBuild(message: string): void {
    this.logger?.debug(message);
  }
  logMigration(message: string): void {
    this.logger?.info(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger?.warn({ message }, 'typeorm');
    else this.logger?.debug({ message }, 'typeorm');
  }
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // int8 stays a string in the driver; the bigint column transformer maps it explicitly.
    parseInt8: false,
    logging: true,
    logger: new OrmLogAdapter(options.logger, options.onQuery),
    maxQueryExecutionTime: 1000,
    poolSize: options.poolSize ?? limits.dbPoolSizeMax,
    applicationName: options.applicationName,
    // Every connection starts its transactions at READ COMMITTED whatever the server's default, so
    // inTransaction asks for that level without a SET TRANSACTION round trip (the earn's hot path).
    extra: { options: '-c default_transaction_isolation=read\\ committed' },
  });
}

/**
 * Creates the database named in the URL when it does not exist yet (first start, tests). Only
 * then does it touch the server's `postgres` database, so a service whose login may reach nothing
 * but its own database starts as usual.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new Error(`database name "${name}" must match [a-z_][a-z0-9_]*`);
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // invalid_catalog_name: it does not exist
  } finally {
    await probe.end().catch(() => undefined);
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } catch (error) {
    // Another process created it between our probe and our CREATE: that is fine.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
}

/** Creates the database if needed, connects, and applies pending migrations (never synchronize). */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  await ensureDatabase(options.url);
  const dataSource = createDataSource(options);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}
