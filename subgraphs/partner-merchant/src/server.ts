import { readFileSync } from 'node:fs';
import { loadSigningKey } from '@coalition/shared/auth/keys';
import { serviceTokenProvider } from '@coalition/shared/auth/service-token';
import {
  DateTimeScalar,
  IdempotencyKeyScalar,
  MinorUnitsScalar,
  PointsScalar,
} from '@coalition/shared/graphql/scalars';
import { limits } from '@coalition/shared/limits';
import { PeriodicJob } from '@coalition/shared/service/periodic-job';
import {
  startSubgraphService,
  type RunningService,
} from '@coalition/shared/service/subgraph-service';
import { PartnersStoresClients1764064800000 } from '../migrations/1764064800000-partners-stores-clients';
import { PartnerEarnTerms1764072000000 } from '../migrations/1764072000000-partner-earn-terms';
import { PartnerBurnLimits1764115200000 } from '../migrations/1764115200000-partner-burn-limits';
import { PartnerStatusHistory1764720000000 } from '../migrations/1764720000000-partner-status-history';
import { ApiClientSecretRotation1764720600000 } from '../migrations/1764720600000-api-client-secret-rotation';
import { EarnRuleVersions1764721200000 } from '../migrations/1764721200000-earn-rule-versions';
import { TierBonuses1764721800000 } from '../migrations/1764721800000-tier-bonuses';
import { Offers1764730000000 } from '../migrations/1764730000000-offers';
import { Rewards1764730600000 } from '../migrations/1764730600000-rewards';
import { VoucherRedemption1764734400000 } from '../migrations/1764734400000-voucher-redemption';
import type { PartnerConfig } from './config';
import { createLoaders, type PartnerContext } from './context';
import { ApiClient } from './modules/api-clients/api-client.entity';
import { apiClientsResolvers } from './modules/api-clients/api-clients.resolvers';
import { ApiClientsService } from './modules/api-clients/api-clients.service';
import { mountTokenEndpoint } from './modules/api-clients/token-endpoint';
import { earnRulesResolvers } from './modules/earn-rules/earn-rules.resolvers';
import { EarnRulesService } from './modules/earn-rules/earn-rules.service';
import { EarnSimulationService } from './modules/earn-rules/earn-simulation.service';
import { offersResolvers } from './modules/offers/offers.resolvers';
import { OffersService } from './modules/offers/offers.service';
import { partnerStatusResolvers } from './modules/partner-status/partner-status.resolvers';
import { PartnerStatusService } from './modules/partner-status/partner-status.service';
import { Partner } from './modules/partners/partner.entity';
import { partnersResolvers } from './modules/partners/partners.resolvers';
import { PartnersService } from './modules/partners/partners.service';
import { Store } from './modules/partners/store.entity';
import { programmeResolvers } from './modules/programme/programme.resolvers';
import { TierBonusesService } from './modules/programme/tier-bonuses.service';
import { RewardOrdersService } from './modules/rewards/reward-orders.service';
import { rewardsResolvers } from './modules/rewards/rewards.resolvers';
import { VoucherRedemptionService } from './modules/rewards/voucher-redemption.service';
import { RewardsService } from './modules/rewards/rewards.service';
import { httpWalletRedemptions } from './modules/rewards/wallet-redemptions.client';

export const typeDefs = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
export const entities = [Partner, Store, ApiClient];
export const migrations = [
  PartnersStoresClients1764064800000,
  PartnerEarnTerms1764072000000,
  PartnerBurnLimits1764115200000,
  PartnerStatusHistory1764720000000,
  ApiClientSecretRotation1764720600000,
  EarnRuleVersions1764721200000,
  TierBonuses1764721800000,
  Offers1764730000000,
  Rewards1764730600000,
  VoucherRedemption1764734400000,
];

/**
 * The partner-merchant subgraph: partners, their status, stores, API clients and the token
 * endpoint, earn rules, offers and the coalition's tier bonuses; produces the partner feed.
 */
export function startPartnerService(
  config: PartnerConfig,
  options: { onQuery?: (sql: string) => void } = {},
): Promise<RunningService> {
  const signingKey = loadSigningKey(config.JWT_KEYS_DIR);
  return startSubgraphService<PartnerContext>({
    name: 'partner-merchant',
    config,
    typeDefs,
    entities,
    migrations,
    producesFeed: true,
    onQuery: options.onQuery,
    build: (dataSource, logger) => {
      const partners = new PartnersService(dataSource);
      const status = new PartnerStatusService(dataSource);
      const clients = new ApiClientsService(dataSource);
      const earnRules = new EarnRulesService(dataSource);
      const tierBonuses = new TierBonusesService(dataSource);
      const simulation = new EarnSimulationService(dataSource, tierBonuses);
      const rewards = new RewardsService(dataSource);
      const walletRedemptions = httpWalletRedemptions(
        config.REWARD_REDEMPTIONS_URL,
        serviceTokenProvider(signingKey, 'partner-merchant'),
        limits.syncCallTimeoutMs,
        logger,
      );
      const rewardOrders = new RewardOrdersService(dataSource, walletRedemptions, logger);
      const offers = new OffersService(dataSource);
      const p = partnersResolvers(partners);
      const s = partnerStatusResolvers(status);
      const c = apiClientsResolvers(clients);
      const e = earnRulesResolvers(earnRules, simulation);
      const g = programmeResolvers(tierBonuses);
      const r = rewardsResolvers(rewards, rewardOrders, new VoucherRedemptionService(dataSource));
      const o = offersResolvers(offers);
      return {
        resolvers: {
          DateTime: DateTimeScalar,
          Points: PointsScalar,
          MinorUnits: MinorUnitsScalar,
          IdempotencyKey: IdempotencyKeyScalar,
          Query: { ...p.Query, ...e.Query, ...g.Query, ...r.Query, ...o.Query },
          Mutation: {
            ...p.Mutation,
            ...s.Mutation,
            ...c.Mutation,
            ...e.Mutation,
            ...g.Mutation,
            ...r.Mutation,
            ...o.Mutation,
          },
          Partner: {
            ...p.Partner,
            ...s.Partner,
            ...c.Partner,
            ...e.Partner,
            ...r.Partner,
            ...o.Partner,
          },
          Store: p.Store,
          ApiClient: c.ApiClient,
          PartnerStatusChange: s.PartnerStatusChange,
          Reward: r.Reward,
          RewardOrder: r.RewardOrder,
          Offer: o.Offer,
        },
        extendContext: (base) => ({
          ...base,
          loaders: createLoaders({
            partners,
            earnRules,
            status,
            clients,
            offers,
            rewards,
            rewardOrders,
          }),
        }),
        mountRoutes: (app) => mountTokenEndpoint(app, clients, signingKey),
        // Orders the wallet did not answer in time are completed here, so none stays PENDING for good.
        background: [
          new PeriodicJob(
            'reward-orders',
            config.REWARD_ORDER_RETRY_INTERVAL_MS,
            () => rewardOrders.retryPending(),
            logger,
          ),
        ],
      };
    },
  });
}
