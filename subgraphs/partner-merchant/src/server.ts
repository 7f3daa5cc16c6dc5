import type { DataSource } from 'typeorm';
import { loadSigningKey, type SigningKey } from '@coalition/shared/auth/keys';
import type { Logger } from '@coalition/shared/logger';
import { serviceTokenProvider } from '@coalition/shared/auth/service-token';
import { baseModule } from '@coalition/shared/graphql/module';
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
import { PartnerRateLimits1764738000000 } from '../migrations/1764738000000-partner-rate-limits';
import { WebOrigins1765155600000 } from '../migrations/1765155600000-web-origins';
import type { PartnerConfig } from './config';
import type { PartnerLoaders } from './context';
import { ApiClient } from './modules/api-clients/api-client.entity';
import { apiClientsModule } from './modules/api-clients/api-clients.module';
import { ApiClientsService } from './modules/api-clients/api-clients.service';
import { mountTokenEndpoint } from './modules/api-clients/token-endpoint';
import { earnRulesModule } from './modules/earn-rules/earn-rules.module';
import { EarnRulesService } from './modules/earn-rules/earn-rules.service';
import { EarnSimulationService } from './modules/earn-rules/earn-simulation.service';
import { offersModule } from './modules/offers/offers.module';
import { OffersService } from './modules/offers/offers.service';
import { partnerStatusModule } from './modules/partner-status/partner-status.module';
import { PartnerStatusService } from './modules/partner-status/partner-status.service';
import { mountWebOrigins, webOriginsModule } from './modules/web-origins/web-origins.module';
import { WebOriginsService } from './modules/web-origins/web-origins.service';
import { Partner } from './modules/partners/partner.entity';
import { partnersModule } from './modules/partners/partners.module';
import { PartnersService } from './modules/partners/partners.service';
import { Store } from './modules/partners/store.entity';
import { programmeModule } from './modules/programme/programme.module';
import { rateLimitsModule } from './modules/rate-limits/rate-limits.module';
import { PartnerRateLimitsService } from './modules/rate-limits/rate-limits.service';
import { TierBonusesService } from './modules/programme/tier-bonuses.service';
import { RewardOrdersService } from './modules/rewards/reward-orders.service';
import { rewardsModule } from './modules/rewards/rewards.module';
import { VoucherRedemptionService } from './modules/rewards/voucher-redemption.service';
import { RewardsService } from './modules/rewards/rewards.service';
import { httpWalletRedemptions } from './modules/rewards/wallet-redemptions.client';

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
  PartnerRateLimits1764738000000,
  WebOrigins1765155600000,
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
  return startSubgraphService<PartnerLoaders>({
    name: 'partner-merchant',
    config,
    entities,
    migrations,
    producesFeed: true,
    onQuery: options.onQuery,
    build: (dataSource, logger) => {
      const clients = new ApiClientsService(dataSource);
      const rewardOrders = rewardOrdersOf(config, dataSource, signingKey, logger);
      const earnRules = new EarnRulesService(dataSource);
      const tierBonuses = new TierBonusesService(dataSource);
      const rateLimits = new PartnerRateLimitsService(dataSource);
      const webOrigins = new WebOriginsService(dataSource);
      const parts = {
        apiClients: apiClientsModule(clients),
        earnRules: earnRulesModule(earnRules, new EarnSimulationService(dataSource, tierBonuses)),
        offers: offersModule(new OffersService(dataSource)),
        partnerStatus: partnerStatusModule(new PartnerStatusService(dataSource)),
        partners: partnersModule(new PartnersService(dataSource)),
        programme: programmeModule(tierBonuses),
        rateLimits: rateLimitsModule(rateLimits),
        rewards: rewardsModule({
          rewards: new RewardsService(dataSource),
          orders: rewardOrders,
          vouchers: new VoucherRedemptionService(dataSource),
        }),
        webOrigins: webOriginsModule(webOrigins),
      };
      return {
        // In the order of schema.graphql: base.graphql, then the modules by name.
        modules: [baseModule(new URL('./base.graphql', import.meta.url)), ...Object.values(parts)],
        createLoaders: () => ({
          ...parts.apiClients.createLoaders(),
          ...parts.earnRules.createLoaders(),
          ...parts.offers.createLoaders(),
          ...parts.partnerStatus.createLoaders(),
          ...parts.partners.createLoaders(),
          ...parts.rateLimits.createLoaders(),
          ...parts.rewards.createLoaders(),
          ...parts.webOrigins.createLoaders(),
        }),
        mountRoutes: (app) => {
          mountTokenEndpoint(app, clients, rateLimits, signingKey);
          mountWebOrigins(app, webOrigins);
        },
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

/** Reward orders burn points through the member service's route, with this service's token. */
function rewardOrdersOf(
  config: PartnerConfig,
  dataSource: DataSource,
  signingKey: SigningKey,
  logger: Logger,
): RewardOrdersService {
  const wallet = httpWalletRedemptions(
    config.REWARD_REDEMPTIONS_URL,
    serviceTokenProvider(signingKey, 'partner-merchant'),
    limits.syncCallTimeoutMs,
    logger,
  );
  return new RewardOrdersService(dataSource, wallet, logger);
}
