import { schemaPart } from '@coalition/shared/graphql/module';
import { createEarnRulesLoaders } from './earn-rules.loaders';
import { earnRulesResolvers } from './earn-rules.resolvers';
import type { EarnRulesService } from './earn-rules.service';
import type { EarnSimulationService } from './earn-simulation.service';

const typeDefs = schemaPart(new URL('./earn-rules.graphql', import.meta.url));

/** Partners' earn rules, their versions, and simulating what a purchase would earn. */
export function earnRulesModule(earnRules: EarnRulesService, simulation: EarnSimulationService) {
  return {
    name: 'earn-rules',
    typeDefs,
    resolvers: earnRulesResolvers(earnRules, simulation),
    createLoaders: () => createEarnRulesLoaders(earnRules),
  };
}
