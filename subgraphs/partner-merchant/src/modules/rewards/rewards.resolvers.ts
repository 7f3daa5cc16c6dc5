import { isMemberSelfOrOperator, requireViewer } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { forbidden, notFound } from '@coalition/shared/errors';
import { loadReferenced } from '@coalition/shared/graphql/loaders';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type {
  MutationResolvers,
  PartnerResolvers,
  QueryResolvers,
  Resolvers,
} from '../../generated/graphql';
import { mayConfigurePartner, requireConfigurer } from '../partners/partner-access';
import type { PartnersLoaders } from '../partners/partners.loaders';
import { rewardCursor, type Reward } from './reward.repository';
import { orderCursor } from './reward-order.repository';
import type { RewardOrdersService } from './reward-orders.service';
import type { RewardsLoaders } from './rewards.loaders';
import type { RewardsService } from './rewards.service';
import type { VoucherRedemptionService } from './voucher-redemption.service';

/** Rewards name their partner and a redeemed voucher its store, through the partners' loaders. */
type RewardsContext = ContextWith<RewardsLoaders & PartnersLoaders>;

export interface RewardsServices {
  rewards: RewardsService;
  orders: RewardOrdersService;
  vouchers: VoucherRedemptionService;
}

/** A caller's order keys are their own: a member's, or an operator's. */
const orderKeyScope = (viewer: Viewer) =>
  viewer.role === 'member' ? `member:${viewer.memberId}` : `${viewer.role}:${viewer.sub}`;

/** The reward a catalogue change is about, once the viewer may change that partner's catalogue. */
async function rewardToChange(rewardId: string, ctx: RewardsContext): Promise<Reward> {
  const reward = await ctx.loaders.rewards.reward.load(parseId(rewardId, 'rewardId'));
  if (!reward) throw notFound('Reward');
  requireConfigurer(ctx.viewer, reward.partnerId);
  return reward;
}

function queries({ orders }: RewardsServices): QueryResolvers<RewardsContext> {
  return {
    // The catalogue is public to the signed-in: members browse it to order.
    rewards: async (_, args, ctx) => {
      const partnerId = parseId(args.partnerId, 'partnerId');
      const page = pageOf(args);
      return connectionOf(
        await ctx.loaders.rewards.activeRewardsOfPartner.load({ partnerId, page }),
        page,
        rewardCursor,
      );
    },
    rewardOrders: async (_, args, ctx) => {
      const memberId = parseId(args.memberId, 'memberId');
      if (!isMemberSelfOrOperator(ctx.viewer, memberId))
        throw forbidden("Only the member themself and operators see a member's reward orders.");
      const page = pageOf(args);
      return connectionOf(await orders.ofMember(memberId, page), page, orderCursor);
    },
  };
}

function mutations(services: RewardsServices): MutationResolvers<RewardsContext> {
  const { rewards, orders, vouchers } = services;
  return {
    createReward: (_, args, ctx) => {
      const partnerId = parseId(args.partnerId, 'partnerId');
      requireConfigurer(ctx.viewer, partnerId);
      return rewards.create(partnerId, args.input);
    },
    updateReward: async (_, args, ctx) =>
      rewards.update((await rewardToChange(args.rewardId, ctx)).id, args.input),
    restockReward: async (_, args, ctx) =>
      rewards.restock((await rewardToChange(args.rewardId, ctx)).id, args.quantity),
    orderReward: (_, args, ctx) => {
      if (!isMemberSelfOrOperator(ctx.viewer, args.input.memberId))
        throw forbidden('Only the member themself or an operator may order a reward for a member.');
      return orders.order(orderKeyScope(ctx.viewer), args.input, ctx.requestId);
    },
    redeemVoucher: (_, args, ctx) =>
      vouchers.redeem(requireViewer(ctx.viewer), args.code, parseId(args.storeId, 'storeId')),
  };
}

const partnerFields: PartnerResolvers<RewardsContext> = {
  rewards: async (partner, args, ctx) => {
    if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
    const page = pageOf(args);
    const loader = args.includeInactive
      ? ctx.loaders.rewards.allRewardsOfPartner
      : ctx.loaders.rewards.activeRewardsOfPartner;
    return connectionOf(await loader.load({ partnerId: partner.id, page }), page, rewardCursor);
  },
  rewardOrders: async (partner, args, ctx) => {
    if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
    const page = pageOf(args);
    return connectionOf(
      await ctx.loaders.rewards.ordersOfPartner.load({ partnerId: partner.id, page }),
      page,
      orderCursor,
    );
  },
};

export function rewardsResolvers(services: RewardsServices): Resolvers<RewardsContext> {
  return {
    Query: queries(services),
    Mutation: mutations(services),
    Partner: partnerFields,
    Reward: {
      partner: (reward, _, ctx) => loadReferenced(ctx.loaders.partner, reward.partnerId, 'Partner'),
      inStock: (reward) => reward.stock === null || reward.stock > 0,
      // How many are left is the partner's business; whether any are is everyone's.
      stock: (reward, _, ctx) =>
        mayConfigurePartner(ctx.viewer, reward.partnerId) ? reward.stock : null,
    },
    RewardOrder: {
      reward: (order, _, ctx) =>
        loadReferenced(ctx.loaders.rewards.reward, order.rewardId, 'Reward'),
      voucherCode: (order, _, ctx) =>
        isMemberSelfOrOperator(ctx.viewer, order.memberId) ? order.voucherCode : null,
      redeemedStore: (order, _, ctx) =>
        order.redeemedStoreId
          ? loadReferenced(ctx.loaders.store, order.redeemedStoreId, 'Store')
          : null,
    },
  };
}
