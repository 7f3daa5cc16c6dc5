import { canSeePartner, requireRole } from '@coalition/shared/auth/authorize';
import { loadReferenced } from '@coalition/shared/graphql/loaders';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { isId, parseId } from '@coalition/shared/validation';
import type { PartnerResolvers, Resolvers } from '../../generated/graphql';
import type { Partner } from './partner.entity';
import type { PartnersContext } from './partners.loaders';
import { partnerCursor, type PartnersService } from './partners.service';

/** Contract and status fields: for operators and the partner itself. */
const restricted =
  <K extends keyof Partner>(field: K) =>
  (partner: Partner, _: Record<PropertyKey, never>, ctx: PartnersContext) =>
    canSeePartner(ctx.viewer, partner.id) ? partner[field] : null;

async function visiblePartner(id: string, ctx: PartnersContext): Promise<Partner | null> {
  if (!isId(id) || !canSeePartner(ctx.viewer, id)) return null;
  return (await ctx.loaders.partner.load(id)) ?? null;
}

const partnerFields: PartnerResolvers<PartnersContext> = {
  __resolveReference: async (ref, ctx) =>
    isId(ref.id) ? ((await ctx.loaders.partner.load(ref.id)) ?? null) : null,
  legalEntity: restricted('legalEntity'),
  settlementCurrency: restricted('settlementCurrency'),
  status: restricted('status'),
  earnStopAt: restricted('earnStopAt'),
  burnStopAt: restricted('burnStopAt'),
  stores: (partner, _, ctx) => ctx.loaders.storesOfPartner.load(partner.id),
};

export function partnersResolvers(partners: PartnersService): Resolvers<PartnersContext> {
  return {
    Query: {
      partner: (_, args, ctx) => visiblePartner(args.id, ctx),
      partners: async (_, args, ctx) => {
        requireRole(ctx.viewer, 'operator');
        const page = pageOf(args);
        return connectionOf(await partners.list(page), page, partnerCursor);
      },
      store: async (_, args, ctx) => {
        if (!isId(args.id)) return null;
        const store = await ctx.loaders.store.load(args.id);
        return store && canSeePartner(ctx.viewer, store.partnerId) ? store : null;
      },
    },
    Mutation: {
      onboardPartner: (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return partners.onboard(args.input, operator.sub);
      },
      addStore: (_, args, ctx) => {
        requireRole(ctx.viewer, 'operator');
        return partners.addStore(parseId(args.partnerId, 'partnerId'), args.input);
      },
    },
    Partner: partnerFields,
    Store: {
      __resolveReference: async (ref, ctx) =>
        isId(ref.id) ? ((await ctx.loaders.store.load(ref.id)) ?? null) : null,
      partner: (store, _, ctx) => loadReferenced(ctx.loaders.partner, store.partnerId, 'Partner'),
    },
  };
}
