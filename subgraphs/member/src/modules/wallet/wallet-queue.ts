import AsyncLock from 'async-lock';
import { CoalitionError, ErrorCode } from '@coalition/shared/errors';
import { limits } from '@coalition/shared/limits';

/**
 * Keyed by member id. async-lock queues callers per key in arrival order, forgets a key as soon as
 * its queue is empty, and a caller whose work fails only fails itself: the next one runs.
 */
const queue = new AsyncLock({ maxPending: limits.walletWritesQueuedPerMemberMax });

/**
 * Runs `work` once no earlier write of these members in this process is still running: the
 * in-process half of serialising one member's writes. It comes before the transaction, so writes
 * queued on one busy member wait here holding no pool connection, and one hot member cannot take
 * the pool from everyone else. The member's advisory lock inside the transaction stays the
 * guard that counts (other instances of the service write the same wallets).
 *
 * Two members (a household transfer) are taken in id order, as their advisory locks are, so two
 * opposite transfers cannot each hold one key and wait for the other.
 */
export async function inMemberQueue<T>(
  memberIds: readonly string[],
  work: () => Promise<T>,
): Promise<T> {
  const keys = [...new Set(memberIds)].sort();
  let started = false;
  try {
    // Zero parameters on purpose: async-lock treats a one-parameter function as callback style.
    return await queue.acquire(keys, () => {
      started = true;
      return work();
    });
  } catch (error) {
    // The only way acquire fails before running the work (no timeouts are set) is a full queue.
    if (!started)
      throw new CoalitionError(
        ErrorCode.SERVICE_UNAVAILABLE,
        'This wallet is busy; retry under the same idempotency key.',
      );
    throw error;
  }
}

/** Whether any write of the member is running or queued in this process (for tests: no key is left behind). */
export const isMemberQueued = (memberId: string): boolean => queue.isBusy(memberId);
