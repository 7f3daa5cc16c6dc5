import { schemaPart } from '@coalition/shared/graphql/module';
import { createCyclesLoaders } from './cycles.loaders';
import { cyclesResolvers, type CyclesServices } from './cycles.resolvers';

const typeDefs = schemaPart(new URL('./cycles.graphql', import.meta.url));

/**
 * Settlement cycles, in four parts: the lifecycle (lifecycle/: open, close, approve, pay, and the
 * scheduled close), the computation a close runs (computation/: journal, statements, positions,
 * payments, matrix, set-based in SQL), its verification (verification/: recompute a closed cycle
 * and compare), and the reads of cycles and what they hold (queries/).
 */
export function cyclesModule(services: CyclesServices) {
  return {
    name: 'cycles',
    typeDefs,
    resolvers: cyclesResolvers(services),
    createLoaders: () => createCyclesLoaders(services.queries),
  };
}
