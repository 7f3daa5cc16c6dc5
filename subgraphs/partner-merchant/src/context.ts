import DataLoader from 'dataloader';
import type { BaseContext } from '@coalition/shared/graphql/context';
import type { Page } from '@coalition/shared/graphql/pagination';
import type { ApiClient } from './modules/api-clients/api-client.entity';
import type { ApiClientsService } from './modules/api-clients/api-clients.service';
import type { EarnRuleVersionRecord } from './modules/earn-rules/earn-rule-versions.repository';
import type { EarnRulesService } from './modules/earn-rules/earn-rules.service';
import type { OfferRecord } from './modules/offers/offers.repository';
import type { OffersService } from './modules/offers/offers.service';
import type {
  PartnerStatusChange,
  PartnerStatusService,
} from './modules/partner-status/partner-status.service';
import type { Partner } from './modules/partners/partner.entity';
import type { PartnersService } from './modules/partners/partners.service';
import type { Store } from './modules/partners/store.entity';
import type { RewardOrdersService } from './modules/rewards/reward-orders.service';
import { createRewardLoaders, type RewardLoaders } from './modules/rewards/rewards.loaders';
import type { RewardsService } from './modules/rewards/rewards.service';

/** A page of a list that hangs off each partner, keyed by partner and page. */
export type PagedLoader<T> = DataLoader<{ partnerId: string; page: Page }, T[], string>;

export interface PartnerContext extends BaseContext {
  loaders: {
    partner: DataLoader<string, Partner | undefined>;
    store: DataLoader<string, Store | undefined>;
    storesOfPartner: DataLoader<string, Store[]>;
    /** The earn rules version in force at the start of the request. */
    earnRulesInForce: DataLoader<string, EarnRuleVersionRecord | undefined>;
    earnRuleVersionsOfPartner: PagedLoader<EarnRuleVersionRecord>;
    statusHistoryOfPartner: PagedLoader<PartnerStatusChange>;
    apiClientsOfPartner: PagedLoader<ApiClient>;
    rewards: RewardLoaders;
    offer: DataLoader<string, OfferRecord | undefined>;
    /** Every offer, ended ones included. */
    offersOfPartner: PagedLoader<OfferRecord>;
    /** Offers live at the start of the request: not ended, endsAt ahead. */
    liveOffersOfPartner: PagedLoader<OfferRecord>;
  };
}

export interface LoaderServices {
  partners: PartnersService;
  earnRules: EarnRulesService;
  status: PartnerStatusService;
  clients: ApiClientsService;
  rewards: RewardsService;
  rewardOrders: RewardOrdersService;
  offers: OffersService;
}

const byId = <T extends { id: string }>(ids: readonly string[], rows: T[]) => {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id));
};

const pageKey = (page: Page) => `${page.limit}|${page.after ?? ''}`;

/** One query per distinct page, for every partner asking for that page (usually the first page, for all of them). */
function pagedLoader<T>(
  fetch: (partnerIds: readonly string[], page: Page) => Promise<Map<string, T[]>>,
): PagedLoader<T> {
  return new DataLoader(
    async (keys) => {
      const groups = new Map<string, { page: Page; partnerIds: string[] }>();
      for (const key of keys) {
        const group = groups.get(pageKey(key.page)) ?? { page: key.page, partnerIds: [] };
        group.partnerIds.push(key.partnerId);
        groups.set(pageKey(key.page), group);
      }
      const found = new Map<string, T[]>();
      for (const [k, group] of groups) {
        for (const [partnerId, rows] of await fetch(group.partnerIds, group.page))
          found.set(`${partnerId}|${k}`, rows);
      }
      return keys.map((key) => found.get(`${key.partnerId}|${pageKey(key.page)}`) ?? []);
    },
    { cacheKeyFn: (key) => `${key.partnerId}|${pageKey(key.page)}` },
  );
}

/** One batch query per entity type per request, whatever the number of references (no N+1). */
export function createLoaders(services: LoaderServices): PartnerContext['loaders'] {
  const { partners, earnRules, status, clients } = services;
  const requestTime = new Date();
  return {
    partner: new DataLoader(async (ids) => byId(ids, await partners.partnersByIds(ids))),
    store: new DataLoader(async (ids) => byId(ids, await partners.storesByIds(ids))),
    storesOfPartner: new DataLoader(async (partnerIds) => {
      const stores = await partners.storesOfPartners(partnerIds);
      return partnerIds.map((id) => stores.filter((store) => store.partnerId === id));
    }),
    earnRulesInForce: new DataLoader(async (partnerIds) => {
      const found = await earnRules.inForce(partnerIds, requestTime);
      return partnerIds.map((id) => found.get(id));
    }),
    earnRuleVersionsOfPartner: pagedLoader((ids, page) => earnRules.pages(ids, page)),
    statusHistoryOfPartner: pagedLoader((ids, page) => status.historyPages(ids, page)),
    apiClientsOfPartner: pagedLoader((ids, page) => clients.pages(ids, page)),
    rewards: createRewardLoaders(services.rewards, services.rewardOrders, pagedLoader),
    offer: new DataLoader(async (ids) => byId(ids, await services.offers.byIds(ids))),
    offersOfPartner: pagedLoader((ids, page) =>
      services.offers.pages(ids, page, { includeEnded: true, now: requestTime }),
    ),
    liveOffersOfPartner: pagedLoader((ids, page) =>
      services.offers.pages(ids, page, { includeEnded: false, now: requestTime }),
    ),
  };
}
