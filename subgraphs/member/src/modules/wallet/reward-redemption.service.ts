import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { CoalitionError, ErrorCode } from '@coalition/shared/errors';
import { uuid } from '@coalition/shared/validation';
import { burnFromLots } from './burn.service';
import type { Wire } from './idempotency';
import {
  assertAccepting,
  assertWithinBurnLimits,
  memberIdOf,
  partnerBurnLimits,
  type Till,
} from './point-of-sale';
import { writeWallet } from './wallet-write';

/** What the partner service sends for an order of a catalogue reward. */
export const rewardRedemptionRequest = z
  .object({
    /** The order: the idempotency key, so a retry of the same order burns nothing more. */
    orderId: uuid,
    memberId: uuid,
    partnerId: uuid,
    rewardId: uuid,
    points: z
      .string()
      .regex(/^[1-9]\d{0,18}$/, 'must be a positive whole number of points, as a string')
      .transform((points) => BigInt(points)),
  })
  .strict();
export type RewardRedemption = z.output<typeof rewardRedemptionRequest>;

export interface RedemptionResult {
  transactionId: string;
  points: bigint;
}

/** Whether a partner takes points, from the wallet's replica: a redemption happens at the partner, at no store. */
type PartnerAcceptance = Pick<Till, 'partnerStatus' | 'earnStopAt' | 'burnStopAt'>;

async function partnerAcceptance(
  dataSource: DataSource,
  partnerId: string,
): Promise<PartnerAcceptance> {
  const rows: { status: string; earn_stop_at: Date | null; burn_stop_at: Date | null }[] =
    await dataSource.query(
      'SELECT status, earn_stop_at, burn_stop_at FROM partner_replica WHERE id = $1',
      [partnerId],
    );
  const row = rows[0];
  // The partner service knows the partner, so the partner feed has yet to bring it here: worth a retry.
  if (!row)
    throw new CoalitionError(
      ErrorCode.SERVICE_UNAVAILABLE,
      'The wallet has not heard of this partner yet; retry shortly.',
    );
  return { partnerStatus: row.status, earnStopAt: row.earn_stop_at, burnStopAt: row.burn_stop_at };
}

/**
 * Burns the points of a catalogue reward order: a BURN at the partner with no store, through the
 * same wallet write as a till's burn (the member's lock, lots oldest expiry first, the
 * points.burned fact settlement pays the partner by). The order id is the key, in a scope of the
 * partner's orders, so the partner service may retry an order as often as it needs: the points
 * are burned once, and every retry gets the first answer, a refusal included.
 */
export class RewardRedemptionService {
  constructor(private readonly dataSource: DataSource) {}

  async redeem(viewer: Viewer, redemption: RewardRedemption): Promise<Wire<RedemptionResult>> {
    const { orderId, ...request } = redemption;
    const partner = await partnerAcceptance(this.dataSource, request.partnerId);
    assertWithinBurnLimits(
      await partnerBurnLimits(this.dataSource, request.partnerId),
      request.points,
    );
    const memberId = await memberIdOf(this.dataSource, { memberId: request.memberId });
    return writeWallet(this.dataSource, {
      viewer,
      memberId,
      idempotencyKey: orderId,
      scope: `reward-orders:${request.partnerId}`,
      operation: 'reward-redemption',
      request,
      work: async (manager, wallet) => {
        assertAccepting(partner, 'burn', wallet.now);
        const burn = await burnFromLots(manager, wallet, request.points, {
          partnerId: request.partnerId,
          storeId: null,
          details: { rewardId: request.rewardId, orderId },
        });
        return { transactionId: burn.transactionId, points: burn.pointsBurned };
      },
    });
  }
}
