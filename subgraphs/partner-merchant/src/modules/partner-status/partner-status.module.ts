import { schemaPart } from '@coalition/shared/graphql/module';
import { createPartnerStatusLoaders } from './partner-status.loaders';
import { partnerStatusResolvers } from './partner-status.resolvers';
import type { PartnerStatusService } from './partner-status.service';

const typeDefs = schemaPart(new URL('./partner-status.graphql', import.meta.url));

/** A partner's status (active, suspended, leaving) and its history. */
export function partnerStatusModule(status: PartnerStatusService) {
  return {
    name: 'partner-status',
    typeDefs,
    resolvers: partnerStatusResolvers(status),
    createLoaders: () => createPartnerStatusLoaders(status),
  };
}
