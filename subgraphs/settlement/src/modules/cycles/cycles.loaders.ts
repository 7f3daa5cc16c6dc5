import DataLoader from 'dataloader';
import { assert } from '@coalition/shared/errors';
import { pageOf, type Page, type PageArgs } from '@coalition/shared/graphql/pagination';
import type { CyclesService } from './cycles.service';
import type { SettlementCycle } from './settlement-cycle.entity';

export interface CyclesLoaders {
  /** Keyed by partner and page, batched per distinct page: one query for every partner asking the same page. */
  cyclesOfPartner: DataLoader<{ partnerId: string; args: PageArgs }, SettlementCycle[], string>;
}

const pageKey = (page: Page) => `${page.limit}|${page.after ?? ''}`;

export function createCyclesLoaders(cycles: CyclesService): CyclesLoaders {
  return {
    cyclesOfPartner: new DataLoader(
      async (keys) => {
        const byPage = new Map<string, { page: Page; partnerIds: string[] }>();
        for (const key of keys) {
          const page = pageOf(key.args);
          const group = byPage.get(pageKey(page)) ?? { page, partnerIds: [] };
          group.partnerIds.push(key.partnerId);
          byPage.set(pageKey(page), group);
        }
        const results = new Map<string, SettlementCycle[]>();
        for (const [k, group] of byPage) {
          const found = await cycles.listForPartners(group.partnerIds, group.page);
          for (const [partnerId, list] of found) results.set(`${partnerId}|${k}`, list);
        }
        return keys.map(
          (key) => results.get(`${key.partnerId}|${pageKey(pageOf(key.args))}`) ?? [],
        );
      },
      { cacheKeyFn: (key) => `${key.partnerId}|${key.args.first ?? ''}|${key.args.after ?? ''}` },
    ),
  };
}

/** A cycle another row points at (by a foreign key): not finding it is a bug, never a null. */
export async function referencedCycle(cycles: CyclesService, id: string): Promise<SettlementCycle> {
  const cycle = await cycles.byId(id);
  assert(cycle !== undefined, `settlement cycle ${id} exists`);
  return cycle;
}
