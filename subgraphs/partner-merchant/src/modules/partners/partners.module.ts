import { schemaPart } from '@coalition/shared/graphql/module';
import { createPartnersLoaders } from './partners.loaders';
import { partnersResolvers } from './partners.resolvers';
import type { PartnersService } from './partners.service';

const typeDefs = schemaPart(new URL('./partners.graphql', import.meta.url));

/** Partners and their stores: the directory entry, the contract terms, onboarding. */
export function partnersModule(partners: PartnersService) {
  return {
    name: 'partners',
    typeDefs,
    resolvers: partnersResolvers(partners),
    createLoaders: () => createPartnersLoaders(partners),
  };
}
