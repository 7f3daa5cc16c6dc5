import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { notFound } from '@coalition/shared/errors';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { pointsBurned } from '@coalition/shared/feed/facts/member-feed';
import { execute } from '@coalition/shared/db/sql';
import { limits } from '@coalition/shared/limits';
import { parseInput } from '@coalition/shared/validation';
import type { Wire } from './idempotency';
import { writeWallet } from './wallet-write';
import { account, writeTransaction } from './ledger';
import { consumeLots, linksWithIssuers } from './lots';
import { repayDebtFromRelease, type Release } from './debt-repayment';
import {
  assertAccepting,
  assertWithinBurnLimits,
  memberIdOf,
  partnerBurnLimits,
  tillFor,
} from './point-of-sale';
import { balancesAt, takeFromLots } from './points';
import {
  liveLots,
  openHeldPoints,
  walletView,
  type LockedWallet,
  type WalletView,
} from './wallet-state';
import { insufficientPoints, WalletError, WalletErrorCode } from './wallet.errors';
import { burnInput, captureInput, holdInput, voidInput } from './wallet.inputs';

export type HoldStatus = 'OPEN' | 'CAPTURED' | 'VOIDED' | 'EXPIRED';

export interface Hold {
  id: string;
  memberId: string;
  partnerId: string;
  storeId: string;
  points: bigint;
  status: HoldStatus;
  capturedPoints: bigint | null;
  expiresAt: Date;
  createdAt: Date;
  resolvedAt: Date | null;
}

export interface BurnResult {
  transactionId: string;
  pointsBurned: bigint;
  wallet: WalletView;
  hold: Hold | null;
}

interface HoldRow {
  id: string;
  member_id: string;
  partner_id: string;
  store_id: string;
  points: string;
  status: HoldStatus;
  captured_points: string | null;
  expires_at: Date;
  created_at: Date;
  resolved_at: Date | null;
}

const toHold = (r: HoldRow): Hold => ({
  id: r.id,
  memberId: r.member_id,
  partnerId: r.partner_id,
  storeId: r.store_id,
  points: BigInt(r.points),
  status: r.status,
  capturedPoints: r.captured_points === null ? null : BigInt(r.captured_points),
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  resolvedAt: r.resolved_at,
});

/** Burns: hold → capture (full or partial) or void or timeout, and the one-step burn for online checkout. */
export class BurnService {
  constructor(private readonly dataSource: DataSource) {}

  async hold(viewer: Viewer, raw: unknown): Promise<Wire<Hold>> {
    const { idempotencyKey, ...input } = parseInput(holdInput, raw);
    const till = await tillFor(this.dataSource, viewer, input.storeId);
    assertWithinBurnLimits(till.burnLimits, input.points);
    const memberId = await memberIdOf(this.dataSource, input);
    return writeWallet(this.dataSource, {
      viewer,
      memberId,
      idempotencyKey,
      operation: 'hold',
      request: input,
      work: async (manager, wallet) => {
        assertAccepting(till, 'burn', wallet.now);
        // The lots and holds as the lock read them: nothing has been written since.
        const balances = balancesAt(wallet.now, wallet.lots, wallet.held);
        if (balances.available < input.points) throw insufficientPoints(balances.available);
        const timeoutSeconds = input.timeoutSeconds ?? limits.holdTimeoutSecondsDefault;
        const rows: HoldRow[] = await manager.query(
          `INSERT INTO hold (id, member_id, partner_id, store_id, points, status, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'OPEN', $6, $7) RETURNING *`,
          [
            randomUUID(),
            memberId,
            till.partnerId,
            till.storeId,
            input.points.toString(),
            new Date(wallet.now.getTime() + timeoutSeconds * 1000),
            wallet.now,
          ],
        );
        return toHold(rows[0]!);
      },
    });
  }

  async capture(viewer: Viewer, raw: unknown): Promise<Wire<BurnResult>> {
    const { idempotencyKey, ...input } = parseInput(captureInput, raw);
    const hold = await this.holdFor(viewer, input.holdId);
    // A partial capture is a burn of its own size: at least the partner's minimum. The maximum was
    // checked when the points were held, and a full capture takes what was held then.
    if (input.points != null)
      assertWithinBurnLimits(
        await partnerBurnLimits(this.dataSource, hold.partnerId),
        input.points,
        'min',
      );
    return writeWallet(this.dataSource, {
      viewer,
      memberId: hold.memberId,
      idempotencyKey,
      operation: 'capture',
      request: input,
      work: async (manager, wallet) => {
        const open = await this.openHold(manager, hold.id);
        const points = input.points ?? open.points;
        if (points > open.points)
          throw new WalletError(
            WalletErrorCode.CAPTURE_EXCEEDS_HOLD,
            `A capture takes at most the ${open.points} points held.`,
          );
        const burn = await burnFromLots(manager, wallet, points, {
          partnerId: open.partnerId,
          storeId: open.storeId,
          holdId: open.id,
          heldPoints: open.points,
        });
        const captured = await this.resolveHold(manager, open.id, 'CAPTURED', wallet.now, {
          points,
          transactionId: burn.transactionId,
        });
        await this.repayDebt(manager, wallet, {
          holdIds: [open.id],
          cause: 'CAPTURED',
          points: open.points - points,
        });
        return {
          ...burn,
          hold: captured,
          wallet: await walletView(manager, wallet.memberId, wallet.now),
        };
      },
    });
  }

  async void(viewer: Viewer, raw: unknown): Promise<Wire<Hold>> {
    const { idempotencyKey, ...input } = parseInput(voidInput, raw);
    const hold = await this.holdFor(viewer, input.holdId);
    return writeWallet(this.dataSource, {
      viewer,
      memberId: hold.memberId,
      idempotencyKey,
      operation: 'void',
      request: input,
      work: async (manager, wallet) => {
        const open = await this.openHold(manager, hold.id);
        const voided = await this.resolveHold(manager, open.id, 'VOIDED', wallet.now);
        await this.repayDebt(manager, wallet, {
          holdIds: [open.id],
          cause: 'VOIDED',
          points: open.points,
        });
        return voided;
      },
    });
  }

  /** One step, for online checkout: check, take and record in one transaction. */
  async burn(viewer: Viewer, raw: unknown): Promise<Wire<BurnResult>> {
    const { idempotencyKey, ...input } = parseInput(burnInput, raw);
    const till = await tillFor(this.dataSource, viewer, input.storeId);
    assertWithinBurnLimits(till.burnLimits, input.points);
    const memberId = await memberIdOf(this.dataSource, input);
    return writeWallet(this.dataSource, {
      viewer,
      memberId,
      idempotencyKey,
      operation: 'burn',
      request: input,
      work: async (manager, wallet) => {
        assertAccepting(till, 'burn', wallet.now);
        const burn = await burnFromLots(manager, wallet, input.points, {
          partnerId: till.partnerId,
          storeId: till.storeId,
          reference: input.reference ?? null,
        });
        return {
          ...burn,
          hold: null,
          wallet: await walletView(manager, wallet.memberId, wallet.now),
        };
      },
    });
  }

  /** A hold the viewer may act on: its partner's (a terminal: its store's). Anyone else's is "not found". */
  private async holdFor(viewer: Viewer, holdId: string): Promise<Hold> {
    const rows: HoldRow[] = await this.dataSource.query('SELECT * FROM hold WHERE id = $1', [
      holdId,
    ]);
    const hold = rows[0] ? toHold(rows[0]) : undefined;
    const mine =
      hold &&
      ((viewer.role === 'partner' && viewer.partnerId === hold.partnerId) ||
        (viewer.role === 'terminal' && viewer.storeId === hold.storeId));
    if (!hold || !mine) throw notFound('Hold');
    return hold;
  }

  /** Re-reads the hold under the member's lock (lockWallet has just expired it if its time is up). */
  private async openHold(manager: EntityManager, holdId: string): Promise<Hold> {
    const rows: HoldRow[] = await manager.query('SELECT * FROM hold WHERE id = $1', [holdId]);
    const hold = toHold(rows[0]!);
    if (hold.status === 'EXPIRED')
      throw new WalletError(
        WalletErrorCode.HOLD_EXPIRED,
        'The hold timed out before it was captured or voided.',
        { status: hold.status },
      );
    if (hold.status !== 'OPEN')
      throw new WalletError(
        WalletErrorCode.HOLD_NOT_OPEN,
        `The hold is already ${hold.status.toLowerCase()}.`,
        { status: hold.status },
      );
    return hold;
  }

  /** Points a void or a partial capture released repay the member's debt first (a timeout's: lockWallet). */
  private async repayDebt(
    manager: EntityManager,
    wallet: LockedWallet,
    release: Release,
  ): Promise<void> {
    if (wallet.debt === 0n || release.points === 0n) return;
    await repayDebtFromRelease(
      manager,
      wallet,
      release,
      await liveLots(manager, wallet.memberId),
      await openHeldPoints(manager, wallet.memberId, wallet.now),
    );
  }

  /** The one place a hold leaves OPEN (L6): the status guard makes a second resolution impossible. */
  private async resolveHold(
    manager: EntityManager,
    holdId: string,
    status: 'CAPTURED' | 'VOIDED',
    at: Date,
    capture?: { points: bigint; transactionId: string },
  ): Promise<Hold> {
    const { rows } = await execute<HoldRow>(
      manager,
      `UPDATE hold SET status = $2, resolved_at = $3, captured_points = $4, capture_transaction_id = $5
        WHERE id = $1 AND status = 'OPEN' RETURNING *`,
      [holdId, status, at, capture?.points.toString() ?? null, capture?.transactionId ?? null],
    );
    if (!rows[0])
      throw new WalletError(WalletErrorCode.HOLD_NOT_OPEN, 'The hold is no longer open.');
    return toHold(rows[0]);
  }
}

/** Where a burn happens: a till (storeId), or the partner itself (a reward redemption: storeId null). */
export interface BurnSite {
  partnerId: string;
  storeId: string | null;
  holdId?: string;
  /** What the captured hold reserves (it is open, so the lock counted it among the held points). */
  heldPoints?: bigint;
  reference?: string | null;
  /** More for the transaction's details (a reward redemption names its reward and order). */
  details?: Record<string, unknown>;
}

/**
 * Takes points from the member's lots, oldest expiry first, and records the burn with its lot
 * links, its postings and its points.burned fact; INSUFFICIENT_POINTS when the available balance
 * is short. Inside a wallet write (writeWallet), under the member's lock, before the work writes
 * anything: it spends the lots and holds as the lock read them.
 */
export async function burnFromLots(
  manager: EntityManager,
  wallet: LockedWallet,
  points: bigint,
  at: BurnSite,
): Promise<{ transactionId: string; pointsBurned: bigint }> {
  const lots = wallet.lots;
  // A capture spends what its own hold reserved: that reservation does not count against it.
  const balances = balancesAt(wallet.now, lots, wallet.held - (at.heldPoints ?? 0n));
  const takes = balances.available >= points ? takeFromLots(wallet.now, lots, points) : undefined;
  if (!takes) throw insufficientPoints(balances.available);
  const links = linksWithIssuers(takes, lots);
  const transactionId = await writeTransaction(manager, {
    memberId: wallet.memberId,
    kind: 'BURN',
    points,
    partnerId: at.partnerId,
    storeId: at.storeId,
    details: { holdId: at.holdId ?? null, reference: at.reference ?? null, ...at.details },
    at: wallet.now,
    postings: [
      { account: account.member(wallet.memberId), points: -points },
      { account: account.redemption(at.partnerId), points },
    ],
  });
  await consumeLots(manager, transactionId, takes);
  await manager.query(
    'UPDATE wallet SET balance = balance - $2, updated_at = $3 WHERE member_id = $1',
    [wallet.memberId, points.toString(), wallet.now],
  );
  await appendFacts(manager, [
    pointsBurned.build({
      transactionId,
      memberId: wallet.memberId,
      partnerId: at.partnerId,
      storeId: at.storeId,
      holdId: at.holdId ?? null,
      points: points.toString(),
      links,
      at: wallet.now.toISOString(),
    }),
  ]);
  return { transactionId, pointsBurned: points };
}
