import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { badInput } from '@coalition/shared/errors';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { isUniqueViolation } from '@coalition/shared/db/transaction';
import { limits } from '@coalition/shared/limits';
import { parseInput } from '@coalition/shared/validation';
import type { Wire } from './idempotency';
import { writeWallet } from './wallet-write';
import { account, writeTransaction } from './ledger';
import { createLot } from './lots';
import { assertAccepting, memberIdOf, tillFor, type Till } from './point-of-sale';
import { pointsForPurchase } from './points';
import { walletView, type LockedWallet, type WalletView } from './wallet-state';
import { WalletError, WalletErrorCode } from './wallet.errors';
import { earnInput, type EarnInput } from './wallet.inputs';

const DAY_MS = 86_400_000;

export interface EarnResult {
  transactionId: string;
  pointsEarned: bigint;
  availableAt: Date | null;
  expiresAt: Date | null;
  wallet: WalletView;
}

export class EarnService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Records a purchase and the points it earns: a pending lot, issued by the partner, available
   * when the return window ends. One transaction, the member's row the only one locked.
   */
  async earn(viewer: Viewer, raw: unknown): Promise<Wire<EarnResult>> {
    const input = parseInput(earnInput, raw);
    const till = await tillFor(this.dataSource, viewer, input.storeId);
    if (input.currency !== till.currency) throw badInput(`This partner takes purchases in ${till.currency}.`, 'currency');
    const memberId = await memberIdOf(this.dataSource, input);
    const { idempotencyKey, ...request } = input;
    try {
      return await writeWallet(this.dataSource, { viewer, memberId, idempotencyKey, operation: 'earn', request, work: (manager, wallet) => this.record(manager, wallet, till, input) });
    } catch (error) {
      if (isUniqueViolation(error, 'ledger_transaction_receipt')) throw duplicateReceipt();
      throw error;
    }
  }

  private async record(manager: EntityManager, wallet: LockedWallet, till: Till, input: EarnInput): Promise<EarnResult> {
    assertAccepting(till);
    const receiptTaken: unknown[] = await manager.query(
      `SELECT 1 FROM ledger_transaction WHERE partner_id = $1 AND receipt_id = $2 AND kind = 'EARN'`,
      [till.partnerId, input.receiptId],
    );
    if (receiptTaken.length > 0) throw duplicateReceipt();
    const points = pointsForPurchase(input.total, input.currency, till.pointsPerCurrencyUnit);
    const now = wallet.now;
    const availableAt = new Date(Math.max(now.getTime(), input.occurredAt.getTime() + till.returnWindowDays * DAY_MS));
    const expiresAt = new Date(now.getTime() + limits.pointsLifetimeDays * DAY_MS);
    const purchase = { total: input.total.toString(), currency: input.currency, occurredAt: input.occurredAt.toISOString(), lines: input.lines.map((l) => ({ ...l, amount: l.amount.toString() })) };
    // A debt from an earlier refund is repaid first; only the rest becomes a lot.
    const debtRepaid = points < wallet.debt ? points : wallet.debt;
    const lotPoints = points - debtRepaid;
    const transactionId = await writeTransaction(manager, {
      memberId: wallet.memberId,
      kind: 'EARN',
      points,
      partnerId: till.partnerId,
      storeId: till.storeId,
      receiptId: input.receiptId,
      details: { purchase, pointsPerCurrencyUnit: till.pointsPerCurrencyUnit, debtRepaid: debtRepaid.toString() },
      at: now,
      postings: points === 0n ? [] : [
        { account: account.issuance(till.partnerId), points: -points },
        { account: account.member(wallet.memberId), points },
      ],
    });
    const lotId = lotPoints === 0n
      ? null
      : await createLot(manager, { memberId: wallet.memberId, transactionId, issuerPartnerId: till.partnerId, points: lotPoints, availableAt, expiresAt, createdAt: now });
    if (points > 0n) {
      await manager.query(
        'UPDATE wallet SET balance = balance + $2, lifetime_earned = lifetime_earned + $2, debt = debt - $3, updated_at = $4 WHERE member_id = $1',
        [wallet.memberId, points.toString(), debtRepaid.toString(), now],
      );
    }
    await appendFacts(manager, [{
      type: 'points.earned',
      key: wallet.memberId,
      payload: { transactionId, memberId: wallet.memberId, partnerId: till.partnerId, storeId: till.storeId, receiptId: input.receiptId, points: points.toString(), debtRepaid: debtRepaid.toString(), lotId, lotPoints: lotPoints.toString(), issuerPartnerId: till.partnerId, availableAt: lotId ? availableAt.toISOString() : null, expiresAt: lotId ? expiresAt.toISOString() : null, purchase, at: now.toISOString() },
    }]);
    const view = await walletView(manager, wallet.memberId, now);
    return { transactionId, pointsEarned: points, availableAt: lotId ? availableAt : null, expiresAt: lotId ? expiresAt : null, wallet: view };
  }
}

const duplicateReceipt = () => new WalletError(WalletErrorCode.DUPLICATE_RECEIPT, 'This receipt has already earned points at this partner.');
