import type { DataSource } from 'typeorm';
import { isId } from '@coalition/shared/validation';
import type { MemberContext } from '../../context';
import { canSeeProfile } from '../members/member-access';
import type { Member } from '../members/member.entity';
import type { BurnService } from './burn.service';
import type { EarnService } from './earn.service';
import type { RefundService } from './refund.service';
import { readWallet } from './wallet-state';

type Input = { input: unknown };

export function walletResolvers(dataSource: DataSource, earn: EarnService, burn: BurnService, refund: RefundService) {
  const visibleWallet = async (memberId: string, ctx: MemberContext) => {
    if (!isId(memberId)) return null;
    const member = await ctx.loaders.member.load(memberId);
    if (!member || !(await canSeeProfile(member, ctx))) return null;
    return (await readWallet(dataSource.manager, memberId)) ?? null;
  };
  return {
    Query: {
      wallet: (_: unknown, args: { memberId: string }, ctx: MemberContext) => visibleWallet(args.memberId, ctx),
    },
    Mutation: {
      earnPoints: (_: unknown, args: Input, ctx: MemberContext) => earn.earn(ctx.viewer, args.input),
      holdPoints: (_: unknown, args: Input, ctx: MemberContext) => burn.hold(ctx.viewer, args.input),
      capturePoints: (_: unknown, args: Input, ctx: MemberContext) => burn.capture(ctx.viewer, args.input),
      voidHold: (_: unknown, args: Input, ctx: MemberContext) => burn.void(ctx.viewer, args.input),
      burnPoints: (_: unknown, args: Input, ctx: MemberContext) => burn.burn(ctx.viewer, args.input),
      refundPurchase: (_: unknown, args: Input, ctx: MemberContext) => refund.refundPurchase(ctx.viewer, args.input),
      refundBurn: (_: unknown, args: Input, ctx: MemberContext) => refund.refundBurn(ctx.viewer, args.input),
    },
    Member: {
      wallet: (member: Member, _: unknown, ctx: MemberContext) => visibleWallet(member.id, ctx),
    },
  };
}
