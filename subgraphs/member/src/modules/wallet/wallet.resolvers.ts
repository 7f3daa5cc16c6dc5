import { viewerPartnerId } from '@coalition/shared/auth/authorize';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import { isId, parseId } from '@coalition/shared/validation';
import type { MemberContext } from '../../context';
import { canSeeProfile } from '../members/member-access';
import type { Member } from '../members/member.entity';
import type { AdjustmentService } from './adjustment.service';
import type { BurnService } from './burn.service';
import type { EarnService } from './earn.service';
import type { Household, HouseholdService } from './household.service';
import {
  historyCursor,
  type HistoryEntry,
  type HistoryService,
  type LotEntry,
} from './history.service';
import type { RefundService } from './refund.service';

type Input = { input: unknown };

type HistoryArgs = PageArgs & { partnerId?: string | null; kinds?: string[] | null };

export interface WalletServices {
  earn: EarnService;
  burn: BurnService;
  refund: RefundService;
  adjustment: AdjustmentService;
  history: HistoryService;
  household: HouseholdService;
}

/** A member's wallet, for those who may see the member; batched across the request (ctx.loaders.wallet). */
async function walletOf(member: Member, ctx: MemberContext) {
  if (!(await canSeeProfile(member, ctx))) return null;
  return (await ctx.loaders.wallet.load(member.id)) ?? null;
}

export function walletResolvers({
  earn,
  burn,
  refund,
  adjustment,
  history,
  household,
}: WalletServices) {
  const visibleWallet = async (memberId: string, ctx: MemberContext) => {
    if (!isId(memberId)) return null;
    const member = await ctx.loaders.member.load(memberId);
    return member ? walletOf(member, ctx) : null;
  };
  return {
    Query: {
      wallet: (_: unknown, args: { memberId: string }, ctx: MemberContext) =>
        visibleWallet(args.memberId, ctx),
    },
    Mutation: {
      earnPoints: (_: unknown, args: Input, ctx: MemberContext) =>
        earn.earn(ctx.viewer, args.input),
      holdPoints: (_: unknown, args: Input, ctx: MemberContext) =>
        burn.hold(ctx.viewer, args.input),
      capturePoints: (_: unknown, args: Input, ctx: MemberContext) =>
        burn.capture(ctx.viewer, args.input),
      voidHold: (_: unknown, args: Input, ctx: MemberContext) => burn.void(ctx.viewer, args.input),
      burnPoints: (_: unknown, args: Input, ctx: MemberContext) =>
        burn.burn(ctx.viewer, args.input),
      refundPurchase: (_: unknown, args: Input, ctx: MemberContext) =>
        refund.refundPurchase(ctx.viewer, args.input),
      refundBurn: (_: unknown, args: Input, ctx: MemberContext) =>
        refund.refundBurn(ctx.viewer, args.input),
      adjustPoints: (_: unknown, args: Input, ctx: MemberContext) =>
        adjustment.adjust(ctx.viewer, args.input),
      createHousehold: (_: unknown, args: Input, ctx: MemberContext) =>
        household.create(ctx.viewer, args.input),
      transferPoints: (_: unknown, args: Input, ctx: MemberContext) =>
        household.transfer(ctx.viewer, args.input),
    },
    Member: {
      wallet: (member: Member, _: unknown, ctx: MemberContext) => walletOf(member, ctx),
      history: async (member: Member, args: HistoryArgs, ctx: MemberContext) => {
        if (!(await canSeeProfile(member, ctx))) return null;
        const page = pageOf(args);
        // A partner sees its own stores' transactions only, whatever filter it asks for.
        const own = viewerPartnerId(ctx.viewer);
        const asked = args.partnerId ? parseId(args.partnerId, 'partnerId') : undefined;
        if (own && asked && asked !== own) return connectionOf([], page, historyCursor);
        const rows = await history.history(
          member.id,
          { partnerId: own ?? asked, kinds: args.kinds ?? undefined },
          page,
        );
        return connectionOf(rows, page, historyCursor);
      },
      household: (member: Member, _: unknown, ctx: MemberContext) =>
        ctx.viewer.role === 'operator' ||
        (ctx.viewer.role === 'member' && ctx.viewer.memberId === member.id)
          ? household.householdOf(member.id)
          : null,
      lots: async (member: Member, args: PageArgs, ctx: MemberContext) => {
        if (ctx.viewer.role !== 'operator') return null;
        const page = pageOf(args);
        return connectionOf(await history.lots(member.id, page), page, historyCursor);
      },
    },
    Household: {
      members: async (h: Household, _: unknown, ctx: MemberContext) =>
        (await ctx.loaders.member.loadMany(h.memberIds)).filter(
          (m): m is Member => m !== undefined && !(m instanceof Error),
        ),
    },
    Transaction: {
      partner: (t: HistoryEntry) =>
        t.partnerId ? { __typename: 'Partner', id: t.partnerId } : null,
      store: (t: HistoryEntry) => (t.storeId ? { __typename: 'Store', id: t.storeId } : null),
    },
    Lot: {
      issuer: (lot: LotEntry) =>
        lot.issuerPartnerId ? { __typename: 'Partner', id: lot.issuerPartnerId } : null,
    },
  };
}
