import type { DataSource, EntityManager } from 'typeorm';
import { requireRole } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { pointsAdjusted } from '@coalition/shared/feed/facts/member-feed';
import { limits } from '@coalition/shared/limits';
import { parseInput } from '@coalition/shared/validation';
import type { Wire } from './idempotency';
import { account, writeTransaction } from './ledger';
import { consumeLots, createLot, linksWithIssuers } from './lots';
import { memberIdOf } from './point-of-sale';
import { takeForClawback } from './points';
import { walletView, type LockedWallet, type WalletView } from './wallet-state';
import { adjustInput, type AdjustInput } from './wallet.inputs';
import { writeWallet } from './wallet-write';

const DAY_MS = 86_400_000;

export interface AdjustmentResult {
  transactionId: string;
  points: bigint;
  direction: 'CREDIT' | 'DEBIT';
  debtRecorded: bigint;
  wallet: WalletView;
}

/** Operator adjustments: goodwill credits and corrections, each with its reason and the operator's identity. */
export class AdjustmentService {
  constructor(private readonly dataSource: DataSource) {}

  async adjust(viewer: Viewer, raw: unknown): Promise<Wire<AdjustmentResult>> {
    const operator = requireRole(viewer, 'operator');
    const { idempotencyKey, ...input } = parseInput(adjustInput, raw);
    const memberId = await memberIdOf(this.dataSource, { memberId: input.memberId });
    return writeWallet(this.dataSource, {
      viewer,
      memberId,
      idempotencyKey,
      operation: 'adjust',
      request: input,
      work: (manager, wallet) =>
        input.direction === 'CREDIT'
          ? this.credit(manager, wallet, input, operator.sub)
          : this.debit(manager, wallet, input, operator.sub),
    });
  }

  private async credit(
    manager: EntityManager,
    wallet: LockedWallet,
    input: Omit<AdjustInput, 'idempotencyKey'>,
    operator: string,
  ): Promise<AdjustmentResult> {
    const debtRepaid = input.points < wallet.debt ? input.points : wallet.debt;
    const transactionId = await writeTransaction(manager, {
      memberId: wallet.memberId,
      kind: 'ADJUSTMENT',
      points: input.points,
      at: wallet.now,
      details: {
        direction: 'CREDIT',
        reason: input.reason,
        note: input.note,
        operator,
        debtRepaid: debtRepaid.toString(),
      },
      postings: [
        { account: account.adjustments, points: -input.points },
        { account: account.member(wallet.memberId), points: input.points },
      ],
    });
    const lotPoints = input.points - debtRepaid;
    const lotId =
      lotPoints === 0n
        ? null
        : await createLot(manager, {
            memberId: wallet.memberId,
            transactionId,
            issuerPartnerId: null,
            points: lotPoints,
            availableAt: wallet.now,
            expiresAt: new Date(wallet.now.getTime() + limits.pointsLifetimeDays * DAY_MS),
            createdAt: wallet.now,
          });
    await manager.query(
      'UPDATE wallet SET balance = balance + $2, debt = debt - $3, updated_at = $4 WHERE member_id = $1',
      [wallet.memberId, input.points.toString(), debtRepaid.toString(), wallet.now],
    );
    await appendFacts(manager, [
      pointsAdjusted.build({
        transactionId,
        memberId: wallet.memberId,
        direction: 'CREDIT',
        reason: input.reason,
        points: input.points.toString(),
        lotId,
        debtRepaid: debtRepaid.toString(),
        links: [],
        at: wallet.now.toISOString(),
      }),
    ]);
    return {
      transactionId,
      points: input.points,
      direction: 'CREDIT',
      debtRecorded: 0n,
      wallet: await walletView(manager, wallet.memberId, wallet.now),
    };
  }

  private async debit(
    manager: EntityManager,
    wallet: LockedWallet,
    input: Omit<AdjustInput, 'idempotencyKey'>,
    operator: string,
  ): Promise<AdjustmentResult> {
    // The lots and holds as the lock read them (nothing has been written since). Like a clawback, a
    // debit never takes points open holds reserve: those become debt, repaid when the holds let go.
    const lots = wallet.lots;
    const { takes, shortfall } = takeForClawback(wallet.now, lots, [], input.points, wallet.held);
    const transactionId = await writeTransaction(manager, {
      memberId: wallet.memberId,
      kind: 'ADJUSTMENT',
      points: input.points,
      at: wallet.now,
      details: {
        direction: 'DEBIT',
        reason: input.reason,
        note: input.note,
        operator,
        debtRecorded: shortfall.toString(),
      },
      postings: [
        { account: account.member(wallet.memberId), points: -input.points },
        { account: account.adjustments, points: input.points },
      ],
    });
    await consumeLots(manager, transactionId, takes);
    await manager.query(
      'UPDATE wallet SET balance = balance - $2, debt = debt + $3, updated_at = $4 WHERE member_id = $1',
      [wallet.memberId, input.points.toString(), shortfall.toString(), wallet.now],
    );
    await appendFacts(manager, [
      pointsAdjusted.build({
        transactionId,
        memberId: wallet.memberId,
        direction: 'DEBIT',
        reason: input.reason,
        points: input.points.toString(),
        debtRecorded: shortfall.toString(),
        links: linksWithIssuers(takes, lots),
        at: wallet.now.toISOString(),
      }),
    ]);
    return {
      transactionId,
      points: input.points,
      direction: 'DEBIT',
      debtRecorded: shortfall,
      wallet: await walletView(manager, wallet.memberId, wallet.now),
    };
  }
}
