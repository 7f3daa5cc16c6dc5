import DataLoader from 'dataloader';
import { pagedLoader, type PagedLoader } from '@coalition/shared/graphql/loaders';
import type { Reward } from './reward.repository';
import type { RewardOrder } from './reward-order.repository';
import type { RewardOrdersService } from './reward-orders.service';
import type { RewardsService } from './rewards.service';

export interface RewardsLoaders {
  rewards: {
    reward: DataLoader<string, Reward | undefined>;
    /** Active rewards only. */
    activeRewardsOfPartner: PagedLoader<Reward>;
    /** Inactive ones too. */
    allRewardsOfPartner: PagedLoader<Reward>;
    ordersOfPartner: PagedLoader<RewardOrder>;
  };
}

export function createRewardsLoaders(
  rewards: RewardsService,
  orders: RewardOrdersService,
): RewardsLoaders {
  return {
    rewards: {
      reward: new DataLoader(async (ids) => {
        const found = new Map((await rewards.byIds(ids)).map((reward) => [reward.id, reward]));
        return ids.map((id) => found.get(id));
      }),
      activeRewardsOfPartner: pagedLoader((ids, page) => rewards.pages(ids, page, false)),
      allRewardsOfPartner: pagedLoader((ids, page) => rewards.pages(ids, page, true)),
      ordersOfPartner: pagedLoader((ids, page) => orders.pagesOfPartners(ids, page)),
    },
  };
}
