import DataLoader from 'dataloader';
import type { WebOrigin, WebOriginsService } from './web-origins.service';

export interface WebOriginsLoaders {
  /** The origins of every partner a request lists, in one read. */
  webOriginsOfPartner: DataLoader<string, WebOrigin[]>;
}

export function createWebOriginsLoaders(origins: WebOriginsService): WebOriginsLoaders {
  return { webOriginsOfPartner: new DataLoader((ids) => origins.ofPartners(ids)) };
}
