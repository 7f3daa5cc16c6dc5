import { requireRole } from '@coalition/shared/auth/authorize';
import { forbidden } from '@coalition/shared/errors';
import type { ContextWith } from '@coalition/shared/graphql/module';
import type { Resolvers } from '../../generated/graphql';
import { formatMicros } from '../journal/money';
import type { ContractsLoaders } from './contracts.loaders';
import type { ContractsService } from './contracts.service';

export function contractsResolvers(
  contracts: ContractsService,
  baseCurrency: string,
): Resolvers<ContextWith<ContractsLoaders>> {
  return {
    Mutation: {
      setPartnerContract: (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return contracts.set(args.input, operator.sub);
      },
      setFxRate: (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return contracts.setFxRate(args.input, baseCurrency, operator.sub);
      },
    },
    Partner: {
      contracts: (partner, _, ctx) => {
        const viewer = ctx.viewer;
        if (!(
          viewer.role === 'operator' ||
          (viewer.role === 'partner' && viewer.partnerId === partner.id)
        )) {
          throw forbidden('Only the partner itself and operators see its contract.');
        }
        return ctx.loaders.contractsOfPartner.load(partner.id);
      },
    },
    ContractVersion: {
      partner: (c) => ({ id: c.partnerId }),
      issuancePrice: (c) => formatMicros(c.issuancePriceMicros),
      redemptionRate: (c) => formatMicros(c.redemptionRateMicros),
      feePerTransaction: (c) => c.feePerTransactionMinor,
      feePerPoint: (c) => formatMicros(c.feePerPointMicros),
      feeRateBasisPoints: (c) => c.feeRateBps,
      breakageShareBasisPoints: (c) => c.breakageShareBps,
    },
  };
}
