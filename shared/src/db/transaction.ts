import type { DataSource, EntityManager } from 'typeorm';
import { limits } from '../limits';

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

function sqlState(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The one way to run a unit of work (docs/code-style.md): explicit isolation, the entity manager passed
 * down, serialization failures and deadlocks retried a bounded number of times. Never make a
 * network call inside `work`.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  isolation: IsolationLevel,
  work: (manager: EntityManager) => Promise<T>,
  retriesMax: number = limits.transactionRetriesMax,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      // READ COMMITTED is every connection's default (createDataSource): no SET TRANSACTION needed.
      return await (isolation === 'READ COMMITTED'
        ? dataSource.transaction(work)
        : dataSource.transaction(isolation, work));
    } catch (error) {
      const state = sqlState(error);
      if (attempt >= retriesMax || state === undefined || !RETRYABLE.has(state)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 5 + Math.random() * 10));
    }
  }
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlState(error) !== '23505') return false;
  if (constraint === undefined) return true;
  const e = error as { constraint?: string; driverError?: { constraint?: string } };
  return (e.driverError?.constraint ?? e.constraint) === constraint;
}

/** An exclusion constraint refused the row (two effective-dated versions overlapping, say). */
export function isExclusionViolation(error: unknown, constraint: string): boolean {
  if (sqlState(error) !== '23P01') return false;
  const e = error as { constraint?: string; driverError?: { constraint?: string } };
  return (e.driverError?.constraint ?? e.constraint) === constraint;
}
