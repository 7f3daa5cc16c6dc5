import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction } from '@coalition/shared/db/transaction';
import {
  runIdempotent,
  runIdempotentBatched,
  settle,
  type Batched,
  type IdempotentCall,
  type Outcome,
  type Wire,
} from './idempotency';
import { idempotencyScope } from './point-of-sale';
import { lockWallet, type LockedWallet } from './wallet-state';
import { inMemberQueue } from './wallet-queue';

export interface WalletWrite<T> {
  viewer: Viewer;
  memberId: string;
  idempotencyKey: string;
  /** Whose keys these are, when not the viewer's own (idempotencyScope): a service acting for a partner, say. */
  scope?: string;
  operation: string;
  /** The request as the key's fingerprint sees it (without the key itself). */
  request: unknown;
  /** A second member the write changes (a household transfer's receiver), locked in id order with the first. */
  alsoLock?: string;
  work: (manager: EntityManager, wallet: LockedWallet, other?: LockedWallet) => Promise<T>;
}

/**
 * How every wallet write runs: its turn in the member's in-process queue, before it takes a
 * connection; then one transaction: the member's lock first; then the idempotency record; then the
 * work. A recorded business failure commits with its key and is thrown after.
 */
export async function writeWallet<T>(
  dataSource: DataSource,
  write: WalletWrite<T>,
): Promise<Wire<T>> {
  return settle(
    await inLockedWallet(dataSource, write, (manager, call, wallet, other) =>
      runIdempotent(manager, call, () => write.work(manager, wallet, other)),
    ),
  );
}

/**
 * writeWallet for work that writes nothing itself and hands back its writes (runIdempotentBatched):
 * they reach Postgres with the key's record in one round trip.
 */
export async function writeWalletBatched<T>(
  dataSource: DataSource,
  write: WalletWrite<Batched<T>>,
): Promise<Wire<T>> {
  return settle(
    await inLockedWallet(dataSource, write, (manager, call, wallet, other) =>
      runIdempotentBatched(manager, call, () => write.work(manager, wallet, other)),
    ),
  );
}

async function inLockedWallet<T, R>(
  dataSource: DataSource,
  write: WalletWrite<R>,
  run: (
    manager: EntityManager,
    call: IdempotentCall,
    wallet: LockedWallet,
    other?: LockedWallet,
  ) => Promise<Outcome<T>>,
): Promise<Outcome<T>> {
  // Two members are always locked in the same order, so two opposite transfers cannot deadlock.
  const order = [write.memberId, ...(write.alsoLock ? [write.alsoLock] : [])].sort();
  return inMemberQueue(order, () =>
    inTransaction(dataSource, 'READ COMMITTED', async (manager) => {
      // Two members: both locks before anything is written, so the feed order follows the lock order
      // for both. One member: lockWallet takes its lock first thing, so there is nothing to add.
      if (order.length > 1)
        for (const memberId of order) await lockAggregate(manager, 'member', memberId);
      const locked = new Map<string, LockedWallet>();
      for (const memberId of order) locked.set(memberId, await lockWallet(manager, memberId));
      const wallet = locked.get(write.memberId)!;
      const other = write.alsoLock ? locked.get(write.alsoLock) : undefined;
      const call = {
        scope: write.scope ?? idempotencyScope(write.viewer),
        key: write.idempotencyKey,
        operation: write.operation,
        request: write.request,
      };
      return run(manager, call, wallet, other);
    }),
  );
}
