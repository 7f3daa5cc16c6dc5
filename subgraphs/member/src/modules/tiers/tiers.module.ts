import { schemaPart } from '@coalition/shared/graphql/module';
import { createTiersLoaders } from './tiers.loaders';
import { tiersResolvers, type TiersServices } from './tiers.resolvers';

const typeDefs = schemaPart(new URL('./tiers.graphql', import.meta.url));

/** Tiers members climb: the operator's ladder, members' standing on it, overrides and the review. */
export function tiersModule(services: TiersServices) {
  return {
    name: 'tiers',
    typeDefs,
    resolvers: tiersResolvers(services),
    createLoaders: () => createTiersLoaders(services.status),
  };
}
