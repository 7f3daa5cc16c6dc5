import type { EntityManager } from 'typeorm';

/**
 * Runs a statement and returns its rows and affected count. EntityManager.query answers an
 * UPDATE or DELETE with [rows, count] but an INSERT or SELECT with rows, a trap for RETURNING;
 * this asks TypeORM for its structured result instead, the same shape for every statement.
 */
export async function execute<T>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[] = [],
): Promise<{ rows: T[]; count: number }> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, parameters, true);
    const rows = (result.records ?? []) as T[];
    return { rows, count: result.affected ?? rows.length };
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a statement of the hot path as a named prepared statement: Postgres parses and plans it
 * once per connection (and settles on a generic plan after a few runs) instead of on every call,
 * as it does for the unnamed statements TypeORM sends. For statements that cost more to plan than
 * to run (BENCHMARKS.md, "Where the time goes (3)"). The name must belong to exactly one text, and
 * the names must be few: each connection keeps every statement it prepared. Inside a transaction
 * it runs on the transaction's connection; outside one, on a connection from the pool. Logged like
 * any other statement.
 */
export async function preparedQuery<T>(
  manager: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const client = (await runner.connect()) as PgClient;
    manager.connection.logger.logQuery(text, values, runner);
    const result = await client.query({ name, text, values });
    return result.rows as T[];
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}
