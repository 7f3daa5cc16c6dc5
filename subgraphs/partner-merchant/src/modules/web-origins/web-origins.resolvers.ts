import type { ContextWith } from '@coalition/shared/graphql/module';
import { parseId } from '@coalition/shared/validation';
import type { Resolvers } from '../../generated/graphql';
import { mayConfigurePartner, requireConfigurer } from '../partners/partner-access';
import type { WebOriginsLoaders } from './web-origins.loaders';
import type { WebOriginsService } from './web-origins.service';

export function webOriginsResolvers(
  origins: WebOriginsService,
): Resolvers<ContextWith<WebOriginsLoaders>> {
  return {
    Mutation: {
      addPartnerWebOrigin: (_, args, ctx) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireConfigurer(ctx.viewer, partnerId);
        return origins.add(partnerId, args.origin, ctx.viewer.sub);
      },
      removePartnerWebOrigin: (_, args, ctx) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireConfigurer(ctx.viewer, partnerId);
        return origins.remove(partnerId, args.origin, ctx.viewer.sub);
      },
    },
    Partner: {
      webOrigins: (partner, _, ctx) =>
        mayConfigurePartner(ctx.viewer, partner.id)
          ? ctx.loaders.webOriginsOfPartner.load(partner.id)
          : null,
    },
    WebOrigin: {
      // Operators' identities are the operator's business.
      addedBy: (origin, _, ctx) => (ctx.viewer.role === 'operator' ? origin.addedBy : null),
    },
  };
}
