import { requireRole } from '@coalition/shared/auth/authorize';
import type { BaseContext } from '@coalition/shared/graphql/context';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { Resolvers } from '../../generated/graphql';
import { referencedCycle } from '../cycles/cycles.loaders';
import type { CyclesService } from '../cycles/cycles.service';
import { disputeCursor, type DisputesService } from './disputes.service';

export function disputesResolvers(
  disputes: DisputesService,
  cycles: CyclesService,
): Resolvers<BaseContext> {
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
      cycle: (d) => referencedCycle(cycles, d.cycleId),
      partner: (d) => ({ id: d.partnerId }),
      adjustment: (d) =>
        d.adjustment ? { currency: d.currency, amount: d.adjustment.amount } : null,
      adjustedIn: (d) =>
        d.adjustment?.appliedCycleId ? referencedCycle(cycles, d.adjustment.appliedCycleId) : null,
    },
  };
}
