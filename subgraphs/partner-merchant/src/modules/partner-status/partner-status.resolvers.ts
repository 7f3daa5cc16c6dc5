import { requireRole } from '@coalition/shared/auth/authorize';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { Resolvers } from '../../generated/graphql';
import { mayConfigurePartner } from '../partners/partner-access';
import type { PartnerStatusLoaders } from './partner-status.loaders';
import { statusChangeCursor, type PartnerStatusService } from './partner-status.service';

export function partnerStatusResolvers(
  status: PartnerStatusService,
): Resolvers<ContextWith<PartnerStatusLoaders>> {
  return {
    Mutation: {
      suspendPartner: (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return status.suspend(parseId(args.partnerId, 'partnerId'), args.reason, operator.sub);
      },
      reinstatePartner: (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return status.reinstate(parseId(args.partnerId, 'partnerId'), args.reason, operator.sub);
      },
      schedulePartnerLeaving: (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return status.scheduleLeaving(
          parseId(args.partnerId, 'partnerId'),
          { earnStopAt: args.earnStopAt, burnStopAt: args.burnStopAt },
          args.reason,
          operator.sub,
        );
      },
    },
    Partner: {
      statusHistory: async (partner, args, ctx) => {
        if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
        const page = pageOf(args);
        return connectionOf(
          await ctx.loaders.statusHistoryOfPartner.load({ partnerId: partner.id, page }),
          page,
          statusChangeCursor,
        );
      },
    },
    PartnerStatusChange: {
      status: (change) => change.toStatus,
      previousStatus: (change) => change.fromStatus,
      // Operators' identities are the operator's business.
      changedBy: (change, _, ctx) => (ctx.viewer.role === 'operator' ? change.changedBy : null),
    },
  };
}
