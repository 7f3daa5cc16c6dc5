import { viewerPartnerId } from '@coalition/shared/auth/authorize';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { isId, parseId } from '@coalition/shared/validation';
import type { MemberResolvers, MutationResolvers, Resolvers } from '../../generated/graphql';
import { canSeeProfile } from '../members/member-access';
import type { Member } from '../members/member.entity';
import type { MembersLoaders } from '../members/members.loaders';
import type { AdjustmentService } from './adjustment.service';
import type { BurnService } from './burn.service';
import type { EarnService } from './earn.service';
import type { HouseholdService } from './household.service';
import { historyCursor, type HistoryEntry, type HistoryService } from './history.service';
import type { RefundService } from './refund.service';
import type { WalletLoaders } from './wallet.loaders';

/** The wallet reads members (who may see whose points) beside its own loaders. */
export type WalletContext = ContextWith<WalletLoaders & MembersLoaders>;

export interface WalletServices {
  earn: EarnService;
  burn: BurnService;
  refund: RefundService;
  adjustment: AdjustmentService;
  history: HistoryService;
  household: HouseholdService;
}

/** A member's wallet, for those who may see the member; batched across the request (ctx.loaders.wallet). */
async function walletOf(member: Member, ctx: WalletContext) {
  if (!(await canSeeProfile(member, ctx))) return null;
  return (await ctx.loaders.wallet.load(member.id)) ?? null;
}

async function visibleWallet(memberId: string, ctx: WalletContext) {
  if (!isId(memberId)) return null;
  const member = await ctx.loaders.member.load(memberId);
  return member ? walletOf(member, ctx) : null;
}

// The services parse and validate every input themselves (zod): the schema's types say its shape.
function mutations(s: WalletServices): MutationResolvers<WalletContext> {
  return {
    earnPoints: (_, args, ctx) => s.earn.earn(ctx.viewer, args.input),
    holdPoints: (_, args, ctx) => s.burn.hold(ctx.viewer, args.input),
    capturePoints: (_, args, ctx) => s.burn.capture(ctx.viewer, args.input),
    voidHold: (_, args, ctx) => s.burn.void(ctx.viewer, args.input),
    burnPoints: (_, args, ctx) => s.burn.burn(ctx.viewer, args.input),
    refundPurchase: (_, args, ctx) => s.refund.refundPurchase(ctx.viewer, args.input),
    refundBurn: (_, args, ctx) => s.refund.refundBurn(ctx.viewer, args.input),
    adjustPoints: (_, args, ctx) => s.adjustment.adjust(ctx.viewer, args.input),
    createHousehold: (_, args, ctx) => s.household.create(ctx.viewer, args.input),
    transferPoints: (_, args, ctx) => s.household.transfer(ctx.viewer, args.input),
  };
}

function memberFields({ history, household }: WalletServices): MemberResolvers<WalletContext> {
  return {
    wallet: (member, _, ctx) => walletOf(member, ctx),
    history: async (member, args, ctx) => {
      if (!(await canSeeProfile(member, ctx))) return null;
      const page = pageOf(args);
      // A partner sees its own stores' transactions only, whatever filter it asks for.
      const own = viewerPartnerId(ctx.viewer);
      const asked = args.partnerId ? parseId(args.partnerId, 'partnerId') : undefined;
      if (own && asked && asked !== own) return connectionOf<HistoryEntry>([], page, historyCursor);
      const rows = await history.history(
        member.id,
        { partnerId: own ?? asked, kinds: args.kinds ?? undefined },
        page,
      );
      return connectionOf(rows, page, historyCursor);
    },
    household: (member, _, ctx) =>
      ctx.viewer.role === 'operator' ||
      (ctx.viewer.role === 'member' && ctx.viewer.memberId === member.id)
        ? household.householdOf(member.id)
        : null,
    lots: async (member, args, ctx) => {
      if (ctx.viewer.role !== 'operator') return null;
      const page = pageOf(args);
      return connectionOf(await history.lots(member.id, page), page, historyCursor);
    },
  };
}

export function walletResolvers(services: WalletServices): Resolvers<WalletContext> {
  return {
    Query: { wallet: (_, args, ctx) => visibleWallet(args.memberId, ctx) },
    Mutation: mutations(services),
    Member: memberFields(services),
    Household: {
      members: async (household, _, ctx) =>
        (await ctx.loaders.member.loadMany(household.memberIds)).filter(
          (m): m is Member => m !== undefined && !(m instanceof Error),
        ),
    },
    Wallet: { id: (wallet) => wallet.memberId },
    Transaction: {
      partner: (t) => (t.partnerId ? { __typename: 'Partner', id: t.partnerId } : null),
      store: (t) => (t.storeId ? { __typename: 'Store', id: t.storeId } : null),
    },
    Lot: {
      issuer: (lot) =>
        lot.issuerPartnerId ? { __typename: 'Partner', id: lot.issuerPartnerId } : null,
    },
  };
}
