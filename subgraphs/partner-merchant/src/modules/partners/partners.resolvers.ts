import { canSeePartner, requireRole } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { isId, parseId } from '@coalition/shared/validation';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import type { PartnerContext } from '../../context';
import type { Partner } from './partner.entity';
import {
  partnerCursor,
  type OnboardPartnerInput,
  type PartnersService,
  type StoreInput,
} from './partners.service';
import type { Store } from './store.entity';

const restricted =
  <K extends keyof Partner>(field: K) =>
  (partner: Partner, _: unknown, ctx: PartnerContext) =>
    canSeePartner(ctx.viewer, partner.id) ? partner[field] : null;

async function visiblePartner(
  id: string,
  viewer: Viewer,
  ctx: PartnerContext,
): Promise<Partner | null> {
  if (!isId(id) || !canSeePartner(viewer, id)) return null;
  return (await ctx.loaders.partner.load(id)) ?? null;
}

export function partnersResolvers(partners: PartnersService) {
  return {
    Query: {
      partner: (_: unknown, args: { id: string }, ctx: PartnerContext) =>
        visiblePartner(args.id, ctx.viewer, ctx),
      partners: async (_: unknown, args: PageArgs, ctx: PartnerContext) => {
        requireRole(ctx.viewer, 'operator');
        const page = pageOf(args);
        return connectionOf(await partners.list(page), page, partnerCursor);
      },
      store: async (_: unknown, args: { id: string }, ctx: PartnerContext) => {
        if (!isId(args.id)) return null;
        const store = await ctx.loaders.store.load(args.id);
        return store && canSeePartner(ctx.viewer, store.partnerId) ? store : null;
      },
    },
    Mutation: {
      onboardPartner: (_: unknown, args: { input: OnboardPartnerInput }, ctx: PartnerContext) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return partners.onboard(args.input, operator.sub);
      },
      addStore: (
        _: unknown,
        args: { partnerId: string; input: StoreInput },
        ctx: PartnerContext,
      ) => {
        requireRole(ctx.viewer, 'operator');
        return partners.addStore(parseId(args.partnerId, 'partnerId'), args.input);
      },
    },
    Partner: {
      __resolveReference: async (ref: { id: string }, ctx: PartnerContext) =>
        isId(ref.id) ? ((await ctx.loaders.partner.load(ref.id)) ?? null) : null,
      legalEntity: restricted('legalEntity'),
      settlementCurrency: restricted('settlementCurrency'),
      status: restricted('status'),
      earnStopAt: restricted('earnStopAt'),
      burnStopAt: restricted('burnStopAt'),
      stores: (partner: Partner, _: unknown, ctx: PartnerContext) =>
        ctx.loaders.storesOfPartner.load(partner.id),
    },
    Store: {
      __resolveReference: async (ref: { id: string }, ctx: PartnerContext) =>
        isId(ref.id) ? ((await ctx.loaders.store.load(ref.id)) ?? null) : null,
      partner: (store: Store, _: unknown, ctx: PartnerContext) =>
        ctx.loaders.partner.load(store.partnerId),
    },
  };
}
