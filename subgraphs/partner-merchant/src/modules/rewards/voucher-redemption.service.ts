import type { DataSource } from 'typeorm';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { badInput, CoalitionError, ErrorCode, forbidden, notFound } from '@coalition/shared/errors';
import { Store } from '../partners/store.entity';
import { redeemVoucherOf, voucherOf, type RewardOrder } from './reward-order.repository';
import { voucherCodePattern } from './voucher-code';

/** What a till types: the code in any case, with spaces or dashes between groups. */
const normalizedCode = (code: string) => code.replace(/[\s-]/g, '').toUpperCase();

/**
 * A member shows a voucher at a till; the partner's till (or its server) redeems it, once. A code
 * that is not an unredeemed voucher of this partner is NOT_FOUND, whether it exists elsewhere or
 * not, so nothing is learnt about another partner's vouchers.
 */
export class VoucherRedemptionService {
  constructor(private readonly dataSource: DataSource) {}

  async redeem(viewer: Viewer, rawCode: string, storeId: string): Promise<RewardOrder> {
    if (viewer.role !== 'partner' && viewer.role !== 'terminal')
      throw forbidden('Only a partner and its terminals redeem its vouchers.');
    if (viewer.role === 'terminal' && viewer.storeId !== storeId)
      throw forbidden('A terminal acts only at its own store.');
    const code = normalizedCode(rawCode);
    if (!voucherCodePattern.test(code))
      throw badInput('code is not a voucher code: 12 characters, A to Z and 2 to 7.', 'code');
    const store = await this.dataSource
      .getRepository(Store)
      .findOneBy({ id: storeId, partnerId: viewer.partnerId });
    if (!store) throw notFound('Store');
    const redeemed = await redeemVoucherOf(
      this.dataSource.manager,
      viewer.partnerId,
      code,
      storeId,
      new Date(),
    );
    if (redeemed) return redeemed;
    const voucher = await voucherOf(this.dataSource, viewer.partnerId, code);
    if (!voucher?.redeemedAt) throw notFound('Voucher');
    throw new CoalitionError(
      ErrorCode.VOUCHER_ALREADY_REDEEMED,
      'This voucher has already been redeemed.',
      { redeemedAt: voucher.redeemedAt.toISOString() },
    );
  }
}
