import { requireViewer, viewerPartnerId } from '@coalition/shared/auth/authorize';
import { forbidden, notFound } from '@coalition/shared/errors';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { MemberContext } from '../../context';
import { canSeeProfile } from '../members/member-access';
import type { Member } from '../members/member.entity';
import { memberOfferCursor, type MemberOffer, type OffersService } from './offers.service';

export function offersResolvers(offers: OffersService) {
  return {
    Mutation: {
      /** The member themself, an operator, or a partner's app for a member who linked it (its own offers only). */
      activateOffer: async (
        _: unknown,
        args: { memberId: string; offerId: string },
        ctx: MemberContext,
      ) => {
        const viewer = requireViewer(ctx.viewer);
        const memberId = parseId(args.memberId, 'memberId');
        const offerId = parseId(args.offerId, 'offerId');
        const member = await ctx.loaders.member.load(memberId);
        if (!member) throw notFound('Member');
        if (!(await canSeeProfile(member, ctx)))
          throw viewer.role === 'member' ? forbidden() : notFound('Member');
        return offers.activate(viewer, memberId, offerId);
      },
    },
    Member: {
      offers: async (member: Member, args: PageArgs, ctx: MemberContext) => {
        if (!(await canSeeProfile(member, ctx))) return null;
        const page = pageOf(args);
        return connectionOf(
          await offers.offersFor(member.id, viewerPartnerId(ctx.viewer), page),
          page,
          memberOfferCursor,
        );
      },
    },
    MemberOffer: {
      partner: (o: MemberOffer) => ({ __typename: 'Partner', id: o.partnerId }),
      name: (o: MemberOffer) => o.offer.name,
      description: (o: MemberOffer) => o.offer.description,
      bonusPoints: (o: MemberOffer) => o.offer.bonusPoints,
      bonusPercent: (o: MemberOffer) => o.offer.bonusPercent,
      minimumSpend: (o: MemberOffer) => o.offer.minimumSpendMinor,
      categories: (o: MemberOffer) => o.offer.categories,
      startsAt: (o: MemberOffer) => o.offer.startsAt,
      endsAt: (o: MemberOffer) => o.offer.endsAt,
      perMemberLimit: (o: MemberOffer) => o.offer.perMemberLimit,
      activated: (o: MemberOffer) => o.activatedAt !== null,
    },
  };
}
