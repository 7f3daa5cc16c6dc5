import { schemaPart } from '@coalition/shared/graphql/module';
import { disputesResolvers } from './disputes.resolvers';
import type { DisputesService } from './disputes.service';

const typeDefs = schemaPart(new URL('./disputes.graphql', import.meta.url));

/** Partners' disputes of statement lines, and the operator's resolutions. */
export function disputesModule(disputes: DisputesService) {
  return { name: 'disputes', typeDefs, resolvers: disputesResolvers(disputes) };
}
