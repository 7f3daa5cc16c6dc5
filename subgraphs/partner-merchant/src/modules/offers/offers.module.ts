import { schemaPart } from '@coalition/shared/graphql/module';
import { createOffersLoaders } from './offers.loaders';
import { offersResolvers } from './offers.resolvers';
import type { OffersService } from './offers.service';

const typeDefs = schemaPart(new URL('./offers.graphql', import.meta.url));

/** Activate-to-earn offers, as the partner publishes and ends them. */
export function offersModule(offers: OffersService) {
  return {
    name: 'offers',
    typeDefs,
    resolvers: offersResolvers(offers),
    createLoaders: () => createOffersLoaders(offers),
  };
}
