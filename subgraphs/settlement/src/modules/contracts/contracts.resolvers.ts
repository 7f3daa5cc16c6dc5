import { requireRole } from '@coalition/shared/auth/authorize';
import { forbidden } from '@coalition/shared/errors';
import type { SettlementContext } from '../../context';
import { formatMicros } from '../journal/money';
import type { ContractsService, ContractVersion } from './contracts.service';

export function contractsResolvers(contracts: ContractsService, baseCurrency: string) {
  return {
    Mutation: {
      setPartnerContract: (_: unknown, args: { input: unknown }, ctx: SettlementContext) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return contracts.set(args.input, operator.sub);
      },
      setFxRate: (_: unknown, args: { input: unknown }, ctx: SettlementContext) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return contracts.setFxRate(args.input, baseCurrency, operator.sub);
      },
    },
    Partner: {
      contracts: (partner: { id: string }, _: unknown, ctx: SettlementContext) => {
        const viewer = ctx.viewer;
        if (
          !viewer ||
          !(
            viewer.role === 'operator' ||
            (viewer.role === 'partner' && viewer.partnerId === partner.id)
          )
        ) {
          throw forbidden('Only the partner itself and operators see its contract.');
        }
        return ctx.loaders.contractsOfPartner.load(partner.id);
      },
    },
    ContractVersion: {
      partner: (c: ContractVersion) => ({ id: c.partnerId }),
      issuancePrice: (c: ContractVersion) => formatMicros(c.issuancePriceMicros),
      redemptionRate: (c: ContractVersion) => formatMicros(c.redemptionRateMicros),
      feePerTransaction: (c: ContractVersion) => c.feePerTransactionMinor,
      feePerPoint: (c: ContractVersion) => formatMicros(c.feePerPointMicros),
      feeRateBasisPoints: (c: ContractVersion) => c.feeRateBps,
      breakageShareBasisPoints: (c: ContractVersion) => c.breakageShareBps,
    },
  };
}
