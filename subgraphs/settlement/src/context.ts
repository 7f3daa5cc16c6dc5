import type { ContextWith } from '@coalition/shared/graphql/module';
import type { ContractsLoaders } from './modules/contracts/contracts.loaders';
import type { CyclesLoaders } from './modules/cycles/cycles.loaders';

/**
 * Every DataLoader of a settlement request, each module's own side by side. Modules never
 * import this: each declares the loaders it reads, and the server checks this type provides them.
 */
export type SettlementLoaders = ContractsLoaders & CyclesLoaders;

export type SettlementContext = ContextWith<SettlementLoaders>;
