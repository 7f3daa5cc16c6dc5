import { schemaPart } from '@coalition/shared/graphql/module';
import { createRewardsLoaders } from './rewards.loaders';
import { rewardsResolvers, type RewardsServices } from './rewards.resolvers';

const typeDefs = schemaPart(new URL('./rewards.graphql', import.meta.url));

/** The reward catalogue, members' orders and vouchers redeemed at the till. */
export function rewardsModule(services: RewardsServices) {
  return {
    name: 'rewards',
    typeDefs,
    resolvers: rewardsResolvers(services),
    createLoaders: () => createRewardsLoaders(services.rewards, services.orders),
  };
}
