import type { Viewer } from '@coalition/shared/auth/jwt';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { isId, parseId } from '@coalition/shared/validation';
import type {
  PartnerLedgerTransactionsArgs,
  PartnerResolvers,
  Resolvers,
} from '../../generated/graphql';
import type { MembersLoaders } from '../members/members.loaders';
import { periodOf, reachForViewer, windowOf } from './partner-totals';
import type { PartnerViewLoaders } from './partner-views.loaders';
import { partnerTransactionCursor, type PartnerTransactionQuery } from './partner-views.service';

/** A partner's views name members only through the members' loaders (and consent, there). */
export type PartnerViewsContext = ContextWith<PartnerViewLoaders & MembersLoaders>;

/**
 * A partner's ledger views are its own business: operators and the partner itself (its partner
 * token) read them; its terminals (POS only), members and other partners get null.
 */
function mayView(viewer: Viewer, partnerId: string): boolean {
  return (
    viewer.role === 'operator' || (viewer.role === 'partner' && viewer.partnerId === partnerId)
  );
}

function transactionQueryOf(
  args: PartnerLedgerTransactionsArgs,
  viewer: Viewer,
): PartnerTransactionQuery {
  const page = pageOf(args);
  const storeId = args.storeId ? parseId(args.storeId, 'storeId') : undefined;
  const filter = {
    ...(storeId ? { storeId } : {}),
    ...(args.kinds ? { kinds: args.kinds } : {}),
    ...windowOf(args.from, args.to),
  };
  return { filter, page, disclosure: viewer.role === 'operator' ? 'ALL' : 'LINKED' };
}

/** Arguments are checked before the viewer: a malformed request is refused whoever sends it, and says nothing about the partner. */
const partnerFields: PartnerResolvers<PartnerViewsContext> = {
  __resolveReference: (ref) => (isId(ref.id) ? { id: ref.id } : null),
  ledgerTransactions: async (partner, args, ctx) => {
    const query = transactionQueryOf(args, ctx.viewer);
    if (!mayView(ctx.viewer, partner.id)) return null;
    const rows = await ctx.loaders.partnerViews.transactions.load({
      partnerId: partner.id,
      args: query,
    });
    return connectionOf(rows, query.page, partnerTransactionCursor);
  },
  pointsSummary: (partner, args, ctx) => {
    const period = periodOf(args.from, args.to);
    return mayView(ctx.viewer, partner.id)
      ? ctx.loaders.partnerViews.pointsSummary.load({ partnerId: partner.id, args: period })
      : null;
  },
  memberReach: async (partner, args, ctx) => {
    const period = periodOf(args.from, args.to);
    if (!mayView(ctx.viewer, partner.id)) return null;
    return reachForViewer(
      await ctx.loaders.partnerViews.memberReach.load({ partnerId: partner.id, args: period }),
      ctx.viewer.role === 'operator',
    );
  },
};

export function partnerViewsResolvers(): Resolvers<PartnerViewsContext> {
  return {
    Partner: partnerFields,
    PartnerTransaction: {
      store: (t) => (t.storeId ? { __typename: 'Store', id: t.storeId } : null),
      // The service named the member only where the viewer may know it; the profile fields check consent again.
      member: async (t, _, ctx) =>
        t.memberId ? ((await ctx.loaders.member.load(t.memberId)) ?? null) : null,
    },
  };
}
