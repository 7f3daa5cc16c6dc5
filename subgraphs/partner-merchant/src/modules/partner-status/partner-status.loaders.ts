import { pagedLoader, type PagedLoader } from '@coalition/shared/graphql/loaders';
import type { PartnerStatusChange, PartnerStatusService } from './partner-status.service';

export interface PartnerStatusLoaders {
  statusHistoryOfPartner: PagedLoader<PartnerStatusChange>;
}

export function createPartnerStatusLoaders(status: PartnerStatusService): PartnerStatusLoaders {
  return { statusHistoryOfPartner: pagedLoader((ids, page) => status.historyPages(ids, page)) };
}
