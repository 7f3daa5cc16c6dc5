import DataLoader from 'dataloader';
import type { Page } from '@coalition/shared/graphql/pagination';
import type { PagedLoader } from '../../context';
import type { Reward } from './reward.repository';
import type { RewardOrder } from './reward-order.repository';
import type { RewardOrdersService } from './reward-orders.service';
import type { RewardsService } from './rewards.service';

export interface RewardLoaders {
  reward: DataLoader<string, Reward | undefined>;
  /** Active rewards only. */
  activeRewardsOfPartner: PagedLoader<Reward>;
  /** Inactive ones too. */
  allRewardsOfPartner: PagedLoader<Reward>;
  ordersOfPartner: PagedLoader<RewardOrder>;
}

/** `paged` is context.ts's pagedLoader: one query per distinct page for every partner asking for it. */
export function createRewardLoaders(
  rewards: RewardsService,
  orders: RewardOrdersService,
  paged: <T>(
    fetch: (partnerIds: readonly string[], page: Page) => Promise<Map<string, T[]>>,
  ) => PagedLoader<T>,
): RewardLoaders {
  return {
    reward: new DataLoader(async (ids) => {
      const found = new Map((await rewards.byIds(ids)).map((reward) => [reward.id, reward]));
      return ids.map((id) => found.get(id));
    }),
    activeRewardsOfPartner: paged((ids, page) => rewards.pages(ids, page, false)),
    allRewardsOfPartner: paged((ids, page) => rewards.pages(ids, page, true)),
    ordersOfPartner: paged((ids, page) => orders.pagesOfPartners(ids, page)),
  };
}
