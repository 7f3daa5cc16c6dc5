import { requireRole } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { loadReferenced } from '@coalition/shared/graphql/loaders';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { isId, parseId } from '@coalition/shared/validation';
import type { Resolvers } from '../../generated/graphql';
import { mayConfigurePartner, requireConfigurer } from '../partners/partner-access';
import type { PartnersLoaders } from '../partners/partners.loaders';
import { offerStatusAt } from './offer-status';
import type { OffersLoaders } from './offers.loaders';
import { offerCursor, type OfferRecord, type OfferScope } from './offers.repository';
import type { OffersService } from './offers.service';

/** Operators reach every partner's offers, a partner token its own partner's; terminals and members none. */
function scopeOf(viewer: Viewer): OfferScope {
  const v = requireRole(viewer, 'operator', 'partner');
  return v.role === 'operator' ? { kind: 'any' } : { kind: 'partner', partnerId: v.partnerId };
}

export function offersResolvers(
  offers: OffersService,
): Resolvers<ContextWith<OffersLoaders & PartnersLoaders>> {
  // status and endedAt are read at one instant per offer object (each request loads its own), so
  // an offer reaching its endsAt mid-request never shows as ACTIVE with an endedAt.
  const views = new WeakMap<OfferRecord, ReturnType<typeof offerStatusAt>>();
  const viewOf = (offer: OfferRecord) => {
    const view = views.get(offer) ?? offerStatusAt(offer, new Date());
    views.set(offer, view);
    return view;
  };
  return {
    Query: {
      offer: async (_, args, ctx) => {
        if (!isId(args.id)) return null;
        const offer = await ctx.loaders.offer.load(args.id);
        return offer && mayConfigurePartner(ctx.viewer, offer.partnerId) ? offer : null;
      },
    },
    Mutation: {
      createOffer: async (_, args, ctx) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireConfigurer(ctx.viewer, partnerId);
        const offer = await offers.create(partnerId, args.input, ctx.viewer.sub);
        ctx.log.info({ offerId: offer.id, partnerId, by: ctx.viewer.sub }, 'offer published');
        return offer;
      },
      endOffer: async (_, args, ctx) => {
        const scope = scopeOf(ctx.viewer);
        const offer = await offers.end(scope, parseId(args.offerId, 'offerId'), ctx.viewer.sub);
        ctx.log.info(
          { offerId: offer.id, partnerId: offer.partnerId, by: ctx.viewer.sub },
          'offer ended',
        );
        return offer;
      },
    },
    Partner: {
      offers: async (partner, args, ctx) => {
        if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
        const page = pageOf(args);
        const loader = args.includeEnded
          ? ctx.loaders.offersOfPartner
          : ctx.loaders.liveOffersOfPartner;
        return connectionOf(await loader.load({ partnerId: partner.id, page }), page, offerCursor);
      },
    },
    Offer: {
      partner: (offer, _, ctx) => loadReferenced(ctx.loaders.partner, offer.partnerId, 'Partner'),
      status: (offer) => viewOf(offer).status,
      endedAt: (offer) => viewOf(offer).endedAt,
      // Everyone who reaches an offer today may see its audience; kept here so that stays true
      // if an offer is ever reachable some other way (a member's activated offers, say).
      audienceMemberIds: (offer, _, ctx) =>
        mayConfigurePartner(ctx.viewer, offer.partnerId) ? offer.audienceMemberIds : null,
    },
  };
}
