import { schemaPart } from '@coalition/shared/graphql/module';
import { offersResolvers } from './offers.resolvers';
import type { OffersService } from './offers.service';

const typeDefs = schemaPart(new URL('./offers.graphql', import.meta.url));

/** Partners' offers as members see them, and activating one. */
export function offersModule(offers: OffersService) {
  return { name: 'offers', typeDefs, resolvers: offersResolvers(offers) };
}
