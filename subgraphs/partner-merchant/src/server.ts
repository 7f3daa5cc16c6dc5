import { readFileSync } from 'node:fs';
import { loadSigningKey } from '@coalition/shared/auth/keys';
import { DateTimeScalar } from '@coalition/shared/graphql/scalars';
import { startSubgraphService, type RunningService } from '@coalition/shared/service/subgraph-service';
import { PartnersStoresClients1764064800000 } from '../migrations/1764064800000-partners-stores-clients';
import { PartnerEarnTerms1764072000000 } from '../migrations/1764072000000-partner-earn-terms';
import { PartnerBurnLimits1764115200000 } from '../migrations/1764115200000-partner-burn-limits';
import type { PartnerConfig } from './config';
import { createLoaders, type PartnerContext } from './context';
import { ApiClient } from './modules/api-clients/api-client.entity';
import { apiClientsResolvers } from './modules/api-clients/api-clients.resolvers';
import { ApiClientsService } from './modules/api-clients/api-clients.service';
import { mountTokenEndpoint } from './modules/api-clients/token-endpoint';
import { Partner } from './modules/partners/partner.entity';
import { partnersResolvers } from './modules/partners/partners.resolvers';
import { PartnersService } from './modules/partners/partners.service';
import { Store } from './modules/partners/store.entity';

export const typeDefs = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
export const entities = [Partner, Store, ApiClient];
export const migrations = [PartnersStoresClients1764064800000, PartnerEarnTerms1764072000000, PartnerBurnLimits1764115200000];

/** The partner-merchant subgraph: partners, stores, API clients and the token endpoint; produces the partner feed. */
export function startPartnerService(config: PartnerConfig, options: { onQuery?: (sql: string) => void } = {}): Promise<RunningService> {
  const signingKey = loadSigningKey(config.JWT_KEYS_DIR);
  return startSubgraphService<PartnerContext>({
    name: 'partner-merchant',
    config,
    typeDefs,
    entities,
    migrations,
    producesFeed: true,
    onQuery: options.onQuery,
    build: (dataSource) => {
      const partners = new PartnersService(dataSource);
      const clients = new ApiClientsService(dataSource);
      const p = partnersResolvers(partners);
      const c = apiClientsResolvers(clients);
      return {
        resolvers: {
          DateTime: DateTimeScalar,
          Query: { ...p.Query },
          Mutation: { ...p.Mutation, ...c.Mutation },
          Partner: p.Partner,
          Store: p.Store,
          ApiClient: c.ApiClient,
        },
        extendContext: (base) => ({ ...base, loaders: createLoaders(partners) }),
        mountRoutes: (app) => mountTokenEndpoint(app, clients, signingKey),
      };
    },
  });
}
