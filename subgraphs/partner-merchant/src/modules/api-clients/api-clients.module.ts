import { schemaPart } from '@coalition/shared/graphql/module';
import { createApiClientsLoaders } from './api-clients.loaders';
import { apiClientsResolvers } from './api-clients.resolvers';
import type { ApiClientsService } from './api-clients.service';

const typeDefs = schemaPart(new URL('./api-clients.graphql', import.meta.url));

/** Partners' API credentials (the token endpoint that takes them is mounted by the server). */
export function apiClientsModule(clients: ApiClientsService) {
  return {
    name: 'api-clients',
    typeDefs,
    resolvers: apiClientsResolvers(clients),
    createLoaders: () => createApiClientsLoaders(clients),
  };
}
