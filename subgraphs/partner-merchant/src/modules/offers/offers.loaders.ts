import DataLoader from 'dataloader';
import { byId, pagedLoader, type PagedLoader } from '@coalition/shared/graphql/loaders';
import type { OfferRecord } from './offers.repository';
import type { OffersService } from './offers.service';

export interface OffersLoaders {
  offer: DataLoader<string, OfferRecord | undefined>;
  /** Every offer, ended ones included. */
  offersOfPartner: PagedLoader<OfferRecord>;
  /** Offers live at the start of the request: not ended, endsAt ahead. */
  liveOffersOfPartner: PagedLoader<OfferRecord>;
}

export function createOffersLoaders(offers: OffersService): OffersLoaders {
  const requestTime = new Date();
  return {
    offer: new DataLoader(async (ids) => byId(ids, await offers.byIds(ids))),
    offersOfPartner: pagedLoader((ids, page) =>
      offers.pages(ids, page, { includeEnded: true, now: requestTime }),
    ),
    liveOffersOfPartner: pagedLoader((ids, page) =>
      offers.pages(ids, page, { includeEnded: false, now: requestTime }),
    ),
  };
}
