import { schemaPart } from '@coalition/shared/graphql/module';
import { createPartnerViewLoaders } from './partner-views.loaders';
import { partnerViewsResolvers } from './partner-views.resolvers';
import type { PartnerViewsService } from './partner-views.service';

const typeDefs = schemaPart(new URL('./partner-views.graphql', import.meta.url));

/** A partner's own views of the points ledger: its transactions, totals and reach. */
export function partnerViewsModule(views: PartnerViewsService) {
  return {
    name: 'partner-views',
    typeDefs,
    resolvers: partnerViewsResolvers(),
    createLoaders: () => createPartnerViewLoaders(views),
  };
}
