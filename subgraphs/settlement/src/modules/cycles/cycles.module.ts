import { schemaPart } from '@coalition/shared/graphql/module';
import { createCyclesLoaders } from './cycles.loaders';
import { cyclesResolvers, type CyclesServices } from './cycles.resolvers';

const typeDefs = schemaPart(new URL('./cycles.graphql', import.meta.url));

/** Settlement cycles: closing, approving, paying, and what a closed cycle holds (statements). */
export function cyclesModule(services: CyclesServices) {
  return {
    name: 'cycles',
    typeDefs,
    resolvers: cyclesResolvers(services),
    createLoaders: () => createCyclesLoaders(services.cycles),
  };
}
