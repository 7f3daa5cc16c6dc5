import DataLoader from 'dataloader';
import type { BaseContext } from '@coalition/shared/graphql/context';
import type { Partner } from './modules/partners/partner.entity';
import type { PartnersService } from './modules/partners/partners.service';
import type { Store } from './modules/partners/store.entity';

export interface PartnerContext extends BaseContext {
  loaders: {
    partner: DataLoader<string, Partner | undefined>;
    store: DataLoader<string, Store | undefined>;
    storesOfPartner: DataLoader<string, Store[]>;
  };
}

const byId = <T extends { id: string }>(ids: readonly string[], rows: T[]) => {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id));
};

/** One batch query per entity type per request, whatever the number of references (no N+1). */
export function createLoaders(partners: PartnersService): PartnerContext['loaders'] {
  return {
    partner: new DataLoader(async (ids) => byId(ids, await partners.partnersByIds(ids))),
    store: new DataLoader(async (ids) => byId(ids, await partners.storesByIds(ids))),
    storesOfPartner: new DataLoader(async (partnerIds) => {
      const stores = await partners.storesOfPartners(partnerIds);
      return partnerIds.map((id) => stores.filter((store) => store.partnerId === id));
    }),
  };
}
