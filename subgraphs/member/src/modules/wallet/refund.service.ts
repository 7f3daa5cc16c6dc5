import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { assert, notFound } from '@coalition/shared/errors';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { burnRefunded, purchaseRefunded } from '@coalition/shared/feed/facts/member-feed';
import { parseInput } from '@coalition/shared/validation';
import { tierRefundStatement, type TierEarnRecord } from '../tiers/tier-earn';
import type { Wire } from './idempotency';
import { writeWallet } from './wallet-write';
import { account, writeTransaction } from './ledger';
import { consumeLots, createLot, linksWithIssuers } from './lots';
import { tillFor } from './point-of-sale';
import { clawbackForRefund, excusedByExpiry, takeForClawback } from './points';
import { walletView, type LockedWallet, type WalletView } from './wallet-state';
import { WalletError, WalletErrorCode } from './wallet.errors';
import { refundBurnInput, refundPurchaseInput } from './wallet.inputs';

export interface RefundResult {
  transactionId: string;
  /** Points taken back (a purchase refund) or given back (a burn refund). */
  points: bigint;
  /** Of a purchase refund's points, those already spent or reserved by open holds: recorded as the member's debt. */
  debtRecorded: bigint;
  /** A purchase refund's points not taken because they had already expired (0 for a burn refund). */
  pointsExpired: bigint;
  wallet: WalletView;
}

interface Original {
  id: string;
  memberId: string;
  partnerId: string;
  points: bigint;
  details: {
    purchase?: { total: string; currency: string };
    earn?: { partnerPoints?: string };
    tiers?: TierEarnRecord;
  };
}

const exceeds = (what: string) =>
  new WalletError(
    WalletErrorCode.REFUND_EXCEEDS_ORIGINAL,
    `The refund is larger than what is left of the ${what}.`,
  );

/**
 * Refunds: a purchase claws back its points (its own lots, other pending points, then available ones
 * not reserved by open holds; the rest becomes debt); a burn gives its points back.
 */
export class RefundService {
  constructor(private readonly dataSource: DataSource) {}

  async refundPurchase(viewer: Viewer, raw: unknown): Promise<Wire<RefundResult>> {
    const { idempotencyKey, ...input } = parseInput(refundPurchaseInput, raw);
    const till = await tillFor(this.dataSource, viewer, input.storeId);
    const earn = await this.original(
      `kind = 'EARN' AND partner_id = $1 AND receipt_id = $2`,
      [till.partnerId, input.receiptId],
      'Purchase',
    );
    return writeWallet(this.dataSource, {
      viewer,
      memberId: earn.memberId,
      idempotencyKey,
      operation: 'refundPurchase',
      request: input,
      work: async (manager, wallet) => {
        const total = BigInt(earn.details.purchase?.total ?? '0');
        const refundedBefore = await this.sumOfRefunds(manager, earn.id, 'refundedAmount');
        const amount = input.amount ?? total - refundedBefore;
        if (amount <= 0n || refundedBefore + amount > total) throw exceeds('purchase');
        const clawback = clawbackForRefund(earn.points, total, refundedBefore, amount);
        // The lots and holds as the lock read them: nothing has been written since.
        const lots = wallet.lots;
        const own = await this.ownLots(manager, earn.id);
        const excused = excusedByExpiry(clawback, own.expired, own.excused);
        const points = clawback - excused;
        const openHeld = wallet.held;
        const { takes, shortfall } =
          points === 0n
            ? { takes: [], shortfall: 0n }
            : takeForClawback(wallet.now, lots, own.lotIds, points, openHeld);
        // The partner takes back the share of the clawback it funded (the rest was the operator's
        // bonus): cumulative over the purchase's refunds, rounded down, exact for a full refund.
        const partnerShare = clawbackForRefund(
          BigInt(earn.details.earn?.partnerPoints ?? earn.points),
          total,
          refundedBefore,
          amount,
        );
        const issuancePoints = partnerShare < points ? partnerShare : points;
        const transactionId = await writeTransaction(manager, {
          memberId: wallet.memberId,
          kind: 'REFUND',
          points,
          partnerId: earn.partnerId,
          storeId: till.storeId,
          reversesId: earn.id,
          details: {
            refundedAmount: amount.toString(),
            currency: earn.details.purchase?.currency,
            debtRecorded: shortfall.toString(),
            pointsExcused: excused.toString(),
            issuancePoints: issuancePoints.toString(),
          },
          at: wallet.now,
          postings: [
            { account: account.member(wallet.memberId), points: -points },
            { account: account.issuance(earn.partnerId), points: issuancePoints },
            { account: account.promotions, points: points - issuancePoints },
          ].filter((p) => p.points !== 0n),
        });
        await consumeLots(manager, transactionId, takes);
        const tiers = earn.details.tiers;
        const tierBack = tierRefundStatement(tiers, {
          memberId: wallet.memberId,
          partnerId: earn.partnerId,
          points: clawbackForRefund(BigInt(tiers?.points ?? 0), total, refundedBefore, amount),
          spend: amount,
          whole: refundedBefore + amount === total,
        });
        if (tierBack) await manager.query(tierBack.text, tierBack.values);
        await manager.query(
          'UPDATE wallet SET balance = balance - $2, debt = debt + $3, updated_at = $4 WHERE member_id = $1',
          [wallet.memberId, points.toString(), shortfall.toString(), wallet.now],
        );
        await appendFacts(manager, [
          purchaseRefunded.build({
            transactionId,
            memberId: wallet.memberId,
            partnerId: earn.partnerId,
            storeId: till.storeId,
            reversesId: earn.id,
            refundedAmount: amount.toString(),
            points: points.toString(),
            issuancePoints: issuancePoints.toString(),
            debtRecorded: shortfall.toString(),
            pointsExcused: excused.toString(),
            links: linksWithIssuers(takes, lots),
            at: wallet.now.toISOString(),
          }),
        ]);
        return {
          transactionId,
          points,
          debtRecorded: shortfall,
          pointsExpired: excused,
          wallet: await walletView(manager, wallet.memberId, wallet.now),
        };
      },
    });
  }

  /** Gives a burn's points back as new lots keeping each consumed lot's issuer and expiry; an outstanding debt is repaid first. */
  async refundBurn(viewer: Viewer, raw: unknown): Promise<Wire<RefundResult>> {
    const { idempotencyKey, ...input } = parseInput(refundBurnInput, raw);
    if (viewer.role !== 'partner' && viewer.role !== 'terminal') throw notFound('Burn');
    const burn = await this.original(
      `kind = 'BURN' AND id = $1 AND partner_id = $2`,
      [input.transactionId, viewer.partnerId],
      'Burn',
    );
    return writeWallet(this.dataSource, {
      viewer,
      memberId: burn.memberId,
      idempotencyKey,
      operation: 'refundBurn',
      request: input,
      work: async (manager, wallet) => {
        const restoredBefore = await this.sumOfRefunds(manager, burn.id, 'points');
        const points = input.points ?? burn.points - restoredBefore;
        if (points <= 0n || restoredBefore + points > burn.points) throw exceeds('burn');
        const debtRepaid = points < wallet.debt ? points : wallet.debt;
        const transactionId = await writeTransaction(manager, {
          memberId: wallet.memberId,
          kind: 'REFUND',
          points,
          partnerId: burn.partnerId,
          reversesId: burn.id,
          details: { debtRepaid: debtRepaid.toString() },
          at: wallet.now,
          postings: [
            { account: account.member(wallet.memberId), points },
            { account: account.redemption(burn.partnerId), points: -points },
          ],
        });
        const restored = await this.restoreLots(
          manager,
          wallet,
          burn.id,
          transactionId,
          points - debtRepaid,
        );
        await manager.query(
          'UPDATE wallet SET balance = balance + $2, debt = debt - $3, updated_at = $4 WHERE member_id = $1',
          [wallet.memberId, points.toString(), debtRepaid.toString(), wallet.now],
        );
        await appendFacts(manager, [
          burnRefunded.build({
            transactionId,
            memberId: wallet.memberId,
            partnerId: burn.partnerId,
            reversesId: burn.id,
            points: points.toString(),
            debtRepaid: debtRepaid.toString(),
            restored,
            at: wallet.now.toISOString(),
          }),
        ]);
        return {
          transactionId,
          points,
          debtRecorded: 0n,
          pointsExpired: 0n,
          wallet: await walletView(manager, wallet.memberId, wallet.now),
        };
      },
    });
  }

  /**
   * New lots for the points a burn took, longest-lived first, net of what earlier refunds of the
   * same burn restored. A restored lot whose expiry has passed is expired by the next expiry run
   * (its issuer's breakage), never silently dropped.
   */
  private async restoreLots(
    manager: EntityManager,
    wallet: LockedWallet,
    burnId: string,
    refundId: string,
    points: bigint,
  ) {
    const sources: {
      lot_id: string;
      issuer_partner_id: string | null;
      expires_at: Date;
      taken: string;
      restored: string;
    }[] = await manager.query(
      `SELECT l.lot_id, lot.issuer_partner_id, lot.expires_at, l.points AS taken,
              coalesce((SELECT sum(r.points) FROM lot r JOIN ledger_transaction t ON t.id = r.earn_transaction_id
                         WHERE r.restored_from_lot_id = l.lot_id AND t.reverses_id = $1), 0) AS restored
         FROM lot_link l JOIN lot ON lot.id = l.lot_id
        WHERE l.transaction_id = $1
        ORDER BY lot.expires_at DESC, lot.id`,
      [burnId],
    );
    const restored: {
      lotId: string;
      fromLotId: string;
      issuerPartnerId: string | null;
      points: string;
    }[] = [];
    let left = points;
    for (const source of sources) {
      const open = BigInt(source.taken) - BigInt(source.restored);
      const give = open < left ? open : left;
      if (give <= 0n) continue;
      const lotId = await createLot(manager, {
        memberId: wallet.memberId,
        transactionId: refundId,
        issuerPartnerId: source.issuer_partner_id,
        points: give,
        availableAt: wallet.now,
        expiresAt: source.expires_at,
        createdAt: wallet.now,
        restoredFromLotId: source.lot_id,
      });
      restored.push({
        lotId,
        fromLotId: source.lot_id,
        issuerPartnerId: source.issuer_partner_id,
        points: give.toString(),
      });
      left -= give;
    }
    return restored;
  }

  private async original(where: string, params: unknown[], what: string): Promise<Original> {
    const rows: {
      id: string;
      member_id: string;
      partner_id: string;
      points: string;
      details: Original['details'];
    }[] = await this.dataSource.query(
      `SELECT id, member_id, partner_id, points, details FROM ledger_transaction WHERE ${where}`,
      params,
    );
    const row = rows[0];
    if (!row) throw notFound(what);
    return {
      id: row.id,
      memberId: row.member_id,
      partnerId: row.partner_id,
      points: BigInt(row.points),
      details: row.details,
    };
  }

  /**
   * The purchase's own lots (an earn may fund one lot from the partner and one from the operator),
   * the points the expiry run took from them together, and what earlier refunds of the purchase
   * already excused for that expiry.
   */
  private async ownLots(
    manager: EntityManager,
    earnId: string,
  ): Promise<{ lotIds: string[]; expired: bigint; excused: bigint }> {
    const rows: { lot_ids: string[]; expired: string; excused: string }[] = await manager.query(
      `SELECT (SELECT coalesce(array_agg(l.id::text ORDER BY l.id), '{}') FROM lot l WHERE l.earn_transaction_id = $1) AS lot_ids,
              (SELECT coalesce(sum(k.points), 0) FROM lot l JOIN lot_link k ON k.lot_id = l.id JOIN ledger_transaction x ON x.id = k.transaction_id
                WHERE l.earn_transaction_id = $1 AND x.kind = 'EXPIRY') AS expired,
              (SELECT coalesce(sum((r.details->>'pointsExcused')::bigint), 0) FROM ledger_transaction r WHERE r.reverses_id = $1 AND r.kind = 'REFUND') AS excused`,
      [earnId],
    );
    const row = rows[0];
    assert(row !== undefined, 'an aggregate query answers one row');
    return { lotIds: row.lot_ids, expired: BigInt(row.expired), excused: BigInt(row.excused) };
  }

  /** What earlier refunds of a transaction already covered: refunded money, or restored points. */
  private async sumOfRefunds(
    manager: EntityManager,
    originalId: string,
    field: 'refundedAmount' | 'points',
  ): Promise<bigint> {
    const column = field === 'points' ? 'points' : `(details->>'refundedAmount')::bigint`;
    const rows: { sum: string }[] = await manager.query(
      `SELECT coalesce(sum(${column}), 0) AS sum FROM ledger_transaction WHERE reverses_id = $1 AND kind = 'REFUND'`,
      [originalId],
    );
    return BigInt(rows[0]?.sum ?? 0);
  }
}
