import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { inTransaction } from '@coalition/shared/db/transaction';
import { runIdempotent, settle, type Wire } from './idempotency';
import { idempotencyScope } from './point-of-sale';
import { lockWallet, type LockedWallet } from './wallet-state';

export interface WalletWrite<T> {
  viewer: Viewer;
  memberId: string;
  idempotencyKey: string;
  operation: string;
  /** The request as the key's fingerprint sees it (without the key itself). */
  request: unknown;
  work: (manager: EntityManager, wallet: LockedWallet) => Promise<T>;
}

/**
 * How every wallet write runs: one transaction; the member's lock first; then the idempotency
 * record; then the work. A recorded business failure commits with its key and is thrown after.
 */
export async function writeWallet<T>(dataSource: DataSource, write: WalletWrite<T>): Promise<Wire<T>> {
  const outcome = await inTransaction(dataSource, 'READ COMMITTED', async (manager) => {
    const wallet = await lockWallet(manager, write.memberId);
    const call = { scope: idempotencyScope(write.viewer), key: write.idempotencyKey, operation: write.operation, request: write.request };
    return runIdempotent(manager, call, () => write.work(manager, wallet));
  });
  return settle(outcome);
}
