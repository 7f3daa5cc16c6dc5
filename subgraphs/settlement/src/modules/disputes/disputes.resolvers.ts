import { requireRole } from '@coalition/shared/auth/authorize';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { SettlementContext } from '../../context';
import type { CyclesService } from '../cycles/cycles.service';
import { disputeCursor, type Dispute, type DisputesService } from './disputes.service';

export function disputesResolvers(disputes: DisputesService, cycles: CyclesService) {
  return {
    Query: {
      settlementDisputes: async (_: unknown, args: PageArgs, ctx: SettlementContext) => {
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
      disputeStatementLine: (_: unknown, args: { input: unknown }, ctx: SettlementContext) => {
        const partner = requireRole(ctx.viewer, 'partner');
        return disputes.open(partner.partnerId, args.input, partner.sub);
      },
      resolveDispute: (
        _: unknown,
        args: { id: string; input: unknown },
        ctx: SettlementContext,
      ) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return disputes.resolve(parseId(args.id, 'id'), args.input, operator.sub);
      },
    },
    Dispute: {
      cycle: (d: Dispute) => cycles.byId(d.cycleId),
      partner: (d: Dispute) => ({ id: d.partnerId }),
      adjustment: (d: Dispute) =>
        d.adjustment ? { currency: d.currency, amount: d.adjustment.amount } : null,
      adjustedIn: (d: Dispute) =>
        d.adjustment?.appliedCycleId ? cycles.byId(d.adjustment.appliedCycleId) : null,
    },
  };
}
