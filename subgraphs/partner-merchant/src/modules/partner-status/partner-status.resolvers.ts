import { requireRole } from '@coalition/shared/auth/authorize';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { PartnerContext } from '../../context';
import { mayConfigurePartner } from '../partners/partner-access';
import type { Partner } from '../partners/partner.entity';
import {
  statusChangeCursor,
  type PartnerStatusChange,
  type PartnerStatusService,
} from './partner-status.service';

export function partnerStatusResolvers(status: PartnerStatusService) {
  return {
    Mutation: {
      suspendPartner: (
        _: unknown,
        args: { partnerId: string; reason: string },
        ctx: PartnerContext,
      ) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return status.suspend(parseId(args.partnerId, 'partnerId'), args.reason, operator.sub);
      },
      reinstatePartner: (
        _: unknown,
        args: { partnerId: string; reason?: string | null },
        ctx: PartnerContext,
      ) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return status.reinstate(parseId(args.partnerId, 'partnerId'), args.reason, operator.sub);
      },
      schedulePartnerLeaving: (
        _: unknown,
        args: { partnerId: string; earnStopAt: Date; burnStopAt: Date; reason?: string | null },
        ctx: PartnerContext,
      ) => {
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
      statusHistory: async (partner: Partner, args: PageArgs, ctx: PartnerContext) => {
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
      status: (change: PartnerStatusChange) => change.toStatus,
      previousStatus: (change: PartnerStatusChange) => change.fromStatus,
      // Operators' identities are the operator's business.
      changedBy: (change: PartnerStatusChange, _: unknown, ctx: PartnerContext) =>
        ctx.viewer.role === 'operator' ? change.changedBy : null,
    },
  };
}
