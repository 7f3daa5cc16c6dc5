import { schemaPart } from '@coalition/shared/graphql/module';
import { programmeResolvers } from './programme.resolvers';
import type { TierBonusesService } from './tier-bonuses.service';

const typeDefs = schemaPart(new URL('./programme.graphql', import.meta.url));

/** The coalition's own programme: tier bonuses, funded by the operator. */
export function programmeModule(tierBonuses: TierBonusesService) {
  return { name: 'programme', typeDefs, resolvers: programmeResolvers(tierBonuses) };
}
