import { pagedLoader, type PagedLoader } from '@coalition/shared/graphql/loaders';
import type { ApiClient } from './api-client.entity';
import type { ApiClientsService } from './api-clients.service';

export interface ApiClientsLoaders {
  apiClientsOfPartner: PagedLoader<ApiClient>;
}

export function createApiClientsLoaders(clients: ApiClientsService): ApiClientsLoaders {
  return { apiClientsOfPartner: pagedLoader((ids, page) => clients.pages(ids, page)) };
}
