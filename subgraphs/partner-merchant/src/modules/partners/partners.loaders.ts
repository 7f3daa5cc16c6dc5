import DataLoader from 'dataloader';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { byId } from '@coalition/shared/graphql/loaders';
import type { Partner } from './partner.entity';
import type { PartnersService } from './partners.service';
import type { Store } from './store.entity';

export interface PartnersLoaders {
  partner: DataLoader<string, Partner | undefined>;
  store: DataLoader<string, Store | undefined>;
  storesOfPartner: DataLoader<string, Store[]>;
}

/** What reading partners and stores needs of the request: the viewer, and these loaders. */
export type PartnersContext = ContextWith<PartnersLoaders>;

export function createPartnersLoaders(partners: PartnersService): PartnersLoaders {
  return {
    partner: new DataLoader(async (ids) => byId(ids, await partners.partnersByIds(ids))),
    store: new DataLoader(async (ids) => byId(ids, await partners.storesByIds(ids))),
    storesOfPartner: new DataLoader(async (partnerIds) => {
      const stores = await partners.storesOfPartners(partnerIds);
      return partnerIds.map((id) => stores.filter((store) => store.partnerId === id));
    }),
  };
}
