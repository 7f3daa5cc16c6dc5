import DataLoader from 'dataloader';
import { pagedLoader, type PagedLoader } from '@coalition/shared/graphql/loaders';
import type { PartnerRateLimitChange, PartnerRateLimitsService } from './rate-limits.service';

export interface RateLimitsLoaders {
  /** Each partner's newest rate-limit change; undefined: never changed. */
  rateLimitOfPartner: DataLoader<string, PartnerRateLimitChange | undefined>;
  rateLimitHistoryOfPartner: PagedLoader<PartnerRateLimitChange>;
}

export function createRateLimitsLoaders(rateLimits: PartnerRateLimitsService): RateLimitsLoaders {
  return {
    rateLimitOfPartner: new DataLoader(async (partnerIds) => {
      const current = new Map(
        (await rateLimits.current(partnerIds)).map((change) => [change.partnerId, change]),
      );
      return partnerIds.map((id) => current.get(id));
    }),
    rateLimitHistoryOfPartner: pagedLoader((ids, page) => rateLimits.historyPages(ids, page)),
  };
}
