import type { EntityManager } from 'typeorm';

/**
 * Serialises writers of one aggregate (a member, a partner) with a transaction-scoped advisory
 * lock, taken before the transaction writes anything. This matters for the event feeds, which
 * order facts by transaction id: a transaction gets its id at its first write, so waiting here
 * (with no id yet) makes id order follow lock order. Waiting on a row lock instead would not: a
 * SELECT ... FOR UPDATE waiter already has an id, and queued waiters win the row in any order.
 */
export async function lockAggregate(
  manager: EntityManager,
  kind: string,
  id: string,
): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    aggregateLockKey(kind, id),
  ]);
}

/** The advisory lock's key for one aggregate, for a statement that takes the lock itself (hashtextextended(key, 0)). */
export const aggregateLockKey = (kind: string, id: string): string => `${kind}:${id}`;
