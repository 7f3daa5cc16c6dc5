import DataLoader from 'dataloader';
import type { BaseContext } from '@coalition/shared/graphql/context';
import { pageOf, type Page, type PageArgs } from '@coalition/shared/graphql/pagination';
import type { SettlementCycle } from './modules/cycles/settlement-cycle.entity';
import type { CyclesService } from './modules/cycles/cycles.service';
import type { ContractsService, ContractVersion } from './modules/contracts/contracts.service';

export interface SettlementContext extends BaseContext {
  loaders: {
    /** Keyed by partner and page, batched per distinct page: one query for every partner asking the same page. */
    cyclesOfPartner: DataLoader<{ partnerId: string; args: PageArgs }, SettlementCycle[], string>;
    contractsOfPartner: DataLoader<string, ContractVersion[]>;
  };
}

const pageKey = (page: Page) => `${page.limit}|${page.after ?? ''}`;

export function createLoaders(
  cycles: CyclesService,
  contracts: ContractsService,
): SettlementContext['loaders'] {
  return {
    contractsOfPartner: new DataLoader(async (partnerIds) => {
      const found = await contracts.ofPartners(partnerIds);
      return partnerIds.map((id) => found.get(id) ?? []);
    }),
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
