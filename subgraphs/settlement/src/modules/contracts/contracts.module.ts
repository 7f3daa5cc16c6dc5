import { schemaPart } from '@coalition/shared/graphql/module';
import { createContractsLoaders } from './contracts.loaders';
import { contractsResolvers } from './contracts.resolvers';
import type { ContractsService } from './contracts.service';

const typeDefs = schemaPart(new URL('./contracts.graphql', import.meta.url));

/** Partners' contracts (point prices, fees) and the exchange rates a close uses. */
export function contractsModule(contracts: ContractsService, baseCurrency: string) {
  return {
    name: 'contracts',
    typeDefs,
    resolvers: contractsResolvers(contracts, baseCurrency),
    createLoaders: () => createContractsLoaders(contracts),
  };
}
