import { isMemberSelfOrOperator, requireViewer } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { assert, forbidden, notFound } from '@coalition/shared/errors';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { PartnerContext } from '../../context';
import { mayConfigurePartner, requireConfigurer } from '../partners/partner-access';
import type { Partner } from '../partners/partner.entity';
import { rewardCursor, type Reward } from './reward.repository';
import { orderCursor, type RewardOrder } from './reward-order.repository';
import type { OrderRewardInput, RewardOrdersService } from './reward-orders.service';
import type { CreateRewardInput, RewardsService, UpdateRewardInput } from './rewards.service';
import type { VoucherRedemptionService } from './voucher-redemption.service';

/** A caller's order keys are their own: a member's, or an operator's. */
const orderKeyScope = (viewer: Viewer) =>
  viewer.role === 'member' ? `member:${viewer.memberId}` : `${viewer.role}:${viewer.sub}`;

/** The reward a catalogue change is about, once the viewer may change that partner's catalogue. */
async function rewardToChange(rewardId: string, ctx: PartnerContext): Promise<Reward> {
  const reward = await ctx.loaders.rewards.reward.load(parseId(rewardId, 'rewardId'));
  if (!reward) throw notFound('Reward');
  requireConfigurer(ctx.viewer, reward.partnerId);
  return reward;
}

export function rewardsResolvers(
  rewards: RewardsService,
  orders: RewardOrdersService,
  vouchers: VoucherRedemptionService,
) {
  return {
    Query: {
      // The catalogue is public to the signed-in: members browse it to order.
      rewards: async (_: unknown, args: PageArgs & { partnerId: string }, ctx: PartnerContext) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        const page = pageOf(args);
        return connectionOf(
          await ctx.loaders.rewards.activeRewardsOfPartner.load({ partnerId, page }),
          page,
          rewardCursor,
        );
      },
      rewardOrders: async (
        _: unknown,
        args: PageArgs & { memberId: string },
        ctx: PartnerContext,
      ) => {
        const memberId = parseId(args.memberId, 'memberId');
        if (!isMemberSelfOrOperator(ctx.viewer, memberId))
          throw forbidden("Only the member themself and operators see a member's reward orders.");
        const page = pageOf(args);
        return connectionOf(await orders.ofMember(memberId, page), page, orderCursor);
      },
    },
    Mutation: {
      createReward: (
        _: unknown,
        args: { partnerId: string; input: CreateRewardInput },
        ctx: PartnerContext,
      ) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireConfigurer(ctx.viewer, partnerId);
        return rewards.create(partnerId, args.input);
      },
      updateReward: async (
        _: unknown,
        args: { rewardId: string; input: UpdateRewardInput },
        ctx: PartnerContext,
      ) => rewards.update((await rewardToChange(args.rewardId, ctx)).id, args.input),
      restockReward: async (
        _: unknown,
        args: { rewardId: string; quantity: number },
        ctx: PartnerContext,
      ) => rewards.restock((await rewardToChange(args.rewardId, ctx)).id, args.quantity),
      orderReward: (_: unknown, args: { input: OrderRewardInput }, ctx: PartnerContext) => {
        if (!isMemberSelfOrOperator(ctx.viewer, args.input.memberId))
          throw forbidden(
            'Only the member themself or an operator may order a reward for a member.',
          );
        return orders.order(orderKeyScope(ctx.viewer), args.input, ctx.requestId);
      },
      redeemVoucher: (_: unknown, args: { code: string; storeId: string }, ctx: PartnerContext) =>
        vouchers.redeem(requireViewer(ctx.viewer), args.code, parseId(args.storeId, 'storeId')),
    },
    Partner: {
      rewards: async (
        partner: Partner,
        args: PageArgs & { includeInactive?: boolean | null },
        ctx: PartnerContext,
      ) => {
        if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
        const page = pageOf(args);
        const loader = args.includeInactive
          ? ctx.loaders.rewards.allRewardsOfPartner
          : ctx.loaders.rewards.activeRewardsOfPartner;
        return connectionOf(await loader.load({ partnerId: partner.id, page }), page, rewardCursor);
      },
      rewardOrders: async (partner: Partner, args: PageArgs, ctx: PartnerContext) => {
        if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
        const page = pageOf(args);
        return connectionOf(
          await ctx.loaders.rewards.ordersOfPartner.load({ partnerId: partner.id, page }),
          page,
          orderCursor,
        );
      },
    },
    Reward: {
      partner: (reward: Reward, _: unknown, ctx: PartnerContext) =>
        ctx.loaders.partner.load(reward.partnerId),
      inStock: (reward: Reward) => reward.stock === null || reward.stock > 0,
      // How many are left is the partner's business; whether any are is everyone's.
      stock: (reward: Reward, _: unknown, ctx: PartnerContext) =>
        mayConfigurePartner(ctx.viewer, reward.partnerId) ? reward.stock : null,
    },
    RewardOrder: {
      reward: async (order: RewardOrder, _: unknown, ctx: PartnerContext) => {
        const reward = await ctx.loaders.rewards.reward.load(order.rewardId);
        assert(reward, `the reward of order ${order.id} exists`);
        return reward;
      },
      voucherCode: (order: RewardOrder, _: unknown, ctx: PartnerContext) =>
        isMemberSelfOrOperator(ctx.viewer, order.memberId) ? order.voucherCode : null,
      redeemedStore: (order: RewardOrder, _: unknown, ctx: PartnerContext) =>
        order.redeemedStoreId ? ctx.loaders.store.load(order.redeemedStoreId) : null,
    },
  };
}
