import { requireViewer, viewerPartnerId } from '@coalition/shared/auth/authorize';
import { forbidden, notFound } from '@coalition/shared/errors';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { Resolvers } from '../../generated/graphql';
import { canSeeProfile } from '../members/member-access';
import type { MembersContext } from '../members/members.loaders';
import { memberOfferCursor, type OffersService } from './offers.service';

export function offersResolvers(offers: OffersService): Resolvers<MembersContext> {
  return {
    Mutation: {
      /** The member themself, an operator, or a partner's app for a member who linked it (its own offers only). */
      activateOffer: async (_, args, ctx) => {
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
      offers: async (member, args, ctx) => {
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
      partner: (o) => ({ __typename: 'Partner', id: o.partnerId }),
      name: (o) => o.offer.name,
      description: (o) => o.offer.description,
      bonusPoints: (o) => o.offer.bonusPoints,
      bonusPercent: (o) => o.offer.bonusPercent,
      minimumSpend: (o) => o.offer.minimumSpendMinor,
      categories: (o) => o.offer.categories,
      startsAt: (o) => o.offer.startsAt,
      endsAt: (o) => o.offer.endsAt,
      perMemberLimit: (o) => o.offer.perMemberLimit,
      activated: (o) => o.activatedAt !== null,
    },
  };
}
