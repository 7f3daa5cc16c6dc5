import DataLoader from 'dataloader';
import { loadReferenced, pagedLoader, type PagedLoader } from '@coalition/shared/graphql/loaders';
import type { CycleQueriesService } from './queries/cycle-queries.service';
import type { SettlementCycle } from './settlement-cycle.entity';

export interface CyclesLoaders {
  /** Every cycle a request refers to (an entity reference, a statement's, a dispute's), in one read. */
  settlementCycle: DataLoader<string, SettlementCycle | undefined>;
  /** The cycles a partner has statements in: one read for every partner asking for the same page. */
  cyclesOfPartner: PagedLoader<SettlementCycle>;
  /** The names of the parties a request's statements belong to, in one read. */
  partyName: DataLoader<string, string>;
}

export function createCyclesLoaders(queries: CycleQueriesService): CyclesLoaders {
  return {
    settlementCycle: new DataLoader((ids) => queries.byIds(ids)),
    cyclesOfPartner: pagedLoader((ids, page) => queries.pagesOfPartners(ids, page)),
    partyName: new DataLoader((parties) => queries.partyNames(parties)),
  };
}

/** A cycle another row points at (by a foreign key): not finding it is a bug, never a null. */
export const referencedCycle = (loaders: CyclesLoaders, id: string): Promise<SettlementCycle> =>
  loadReferenced(loaders.settlementCycle, id, 'settlement cycle');
