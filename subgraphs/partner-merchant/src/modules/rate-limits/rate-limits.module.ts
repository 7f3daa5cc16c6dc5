import { schemaPart } from '@coalition/shared/graphql/module';
import { createRateLimitsLoaders } from './rate-limits.loaders';
import { rateLimitsResolvers } from './rate-limits.resolvers';
import type { PartnerRateLimitsService } from './rate-limits.service';

const typeDefs = schemaPart(new URL('./rate-limits.graphql', import.meta.url));

/** Partners' own rate limits at the gateway, set by operators and carried in client tokens. */
export function rateLimitsModule(rateLimits: PartnerRateLimitsService) {
  return {
    name: 'rate-limits',
    typeDefs,
    resolvers: rateLimitsResolvers(rateLimits),
    createLoaders: () => createRateLimitsLoaders(rateLimits),
  };
}
