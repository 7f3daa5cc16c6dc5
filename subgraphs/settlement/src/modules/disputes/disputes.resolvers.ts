import { requireRole } from '@coalition/shared/auth/authorize';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { Resolvers } from '../../generated/graphql';
import { referencedCycle, type CyclesLoaders } from '../cycles/cycles.loaders';
import { disputeCursor, type DisputesService } from './disputes.service';

/** Disputes read the cycles they are about through the cycles module's loader. */
export function disputesResolvers(
  disputes: DisputesService,
): Resolvers<ContextWith<CyclesLoaders>> {
  return {
    Query: {
      settlementDisputes: async (_, args, ctx) => {
        const viewer = requireRole(ctx.viewer, 'operator', 'partner');
        const page = pageOf(args);
        return connectionOf(
          await disputes.list(viewer.role === 'partner' ? viewer.partnerId : undefined, page),
          page,
          disputeCursor,
        );
      },
    },
    Mutation: {
      disputeStatementLine: (_, args, ctx) => {
        const partner = requireRole(ctx.viewer, 'partner');
        return disputes.open(partner.partnerId, args.input, partner.sub);
      },
      resolveDispute: (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return disputes.resolve(parseId(args.id, 'id'), args.input, operator.sub);
      },
    },
    Dispute: {
      cycle: (dispute, _, ctx) => referencedCycle(ctx.loaders, dispute.cycleId),
      partner: (dispute) => ({ id: dispute.partnerId }),
      adjustment: (dispute) =>
        dispute.adjustment
          ? { currency: dispute.currency, amount: dispute.adjustment.amount }
          : null,
      adjustedIn: (dispute, _, ctx) =>
        dispute.adjustment?.appliedCycleId
          ? referencedCycle(ctx.loaders, dispute.adjustment.appliedCycleId)
          : null,
    },
  };
}
