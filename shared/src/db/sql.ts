import type { EntityManager } from 'typeorm';

/**
 * Runs a statement and returns its rows and affected count. EntityManager.query answers an
 * UPDATE or DELETE with [rows, count] but an INSERT or SELECT with rows, a trap for RETURNING;
 * this asks TypeORM for its structured result instead, the same shape for every statement.
 */
export async function execute<T>(manager: EntityManager, sql: string, parameters: unknown[] = []): Promise<{ rows: T[]; count: number }> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, parameters, true);
    const rows = (result.records ?? []) as T[];
    return { rows, count: result.affected ?? rows.length };
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}
