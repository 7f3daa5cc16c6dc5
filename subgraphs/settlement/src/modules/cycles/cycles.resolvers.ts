import { canSeePartner, requireRole } from '@coalition/shared/auth/authorize';
import { forbidden } from '@coalition/shared/errors';
import type { FeedConsumer } from '@coalition/shared/feed/consumer';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import type { SettlementContext } from '../../context';
import { cycleCursor, type CyclesService } from './cycles.service';

export function cyclesResolvers(cycles: CyclesService, memberFeed: FeedConsumer) {
  return {
    Query: {
      settlementCycles: async (_: unknown, args: PageArgs, ctx: SettlementContext) => {
        requireRole(ctx.viewer, 'operator');
        const page = pageOf(args);
        return connectionOf(await cycles.list(page), page, cycleCursor);
      },
      memberFeedStatus: (_: unknown, __: unknown, ctx: SettlementContext) => {
        requireRole(ctx.viewer, 'operator');
        return memberFeed.status();
      },
    },
    Partner: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      settlementCycles: async (partner: { id: string }, args: PageArgs, ctx: SettlementContext) => {
        if (!canSeePartner(ctx.viewer, partner.id)) throw forbidden('Only the partner itself and operators see its settlement cycles.');
        const page = pageOf(args);
        return connectionOf(await ctx.loaders.cyclesOfPartner.load({ partnerId: partner.id, args }), page, cycleCursor);
      },
    },
  };
}
