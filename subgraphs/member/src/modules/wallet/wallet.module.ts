import { schemaPart } from '@coalition/shared/graphql/module';
import type { DataSource } from 'typeorm';
import { createWalletLoaders } from './wallet.loaders';
import { walletResolvers, type WalletServices } from './wallet.resolvers';

const typeDefs = schemaPart(new URL('./wallet.graphql', import.meta.url));

/** The points ledger: balances, history, lots, and every operation that moves points. */
export function walletModule(services: WalletServices, dataSource: DataSource) {
  return {
    name: 'wallet',
    typeDefs,
    resolvers: walletResolvers(services),
    createLoaders: () => createWalletLoaders(dataSource),
  };
}
