import DataLoader from 'dataloader';
import type { ContextWith } from '@coalition/shared/graphql/module';
import type { MembersLoaders } from '../members/members.loaders';
import type { TierChangeView, TierStatusService, TierStatusView } from './tier-status.service';

export interface TiersLoaders {
  /** Every member's standing the request asks about, in one statement. */
  tierStatus: DataLoader<string, TierStatusView | undefined>;
  tierHistory: DataLoader<string, TierChangeView[]>;
}

/** Tiers read members (who may see whose profile) beside their own loaders. */
export type TiersContext = ContextWith<TiersLoaders & MembersLoaders>;

export function createTiersLoaders(statuses: TierStatusService): TiersLoaders {
  return {
    tierStatus: new DataLoader(async (memberIds) => {
      const rows = await statuses.statusesOf(memberIds);
      return memberIds.map((id) => rows.get(id));
    }),
    tierHistory: new DataLoader(async (memberIds) => {
      const rows = await statuses.historiesOf(memberIds);
      return memberIds.map((id) => rows.get(id) ?? []);
    }),
  };
}
