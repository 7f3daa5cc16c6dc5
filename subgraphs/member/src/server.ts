import type { DataSource } from 'typeorm';
import { loadPublicKeys, loadSigningKey } from '@coalition/shared/auth/keys';
import type { Logger } from '@coalition/shared/logger';
import { serviceTokenProvider } from '@coalition/shared/auth/service-token';
import { httpFeedConsumer } from '@coalition/shared/feed/http';
import { baseModule } from '@coalition/shared/graphql/module';
import { PeriodicJob } from '@coalition/shared/service/periodic-job';
import {
  startSubgraphService,
  type RunningService,
} from '@coalition/shared/service/subgraph-service';
import { MembersLinksReplica1764064800000 } from '../migrations/1764064800000-members-links-replica';
import { WalletLedger1764072000000 } from '../migrations/1764072000000-wallet-ledger';
import { WalletRefundsExpiry1764079200000 } from '../migrations/1764079200000-wallet-refunds-expiry';
import { OperatorFundedLots1764086400000 } from '../migrations/1764086400000-operator-funded-lots';
import { Households1764093600000 } from '../migrations/1764093600000-households';
import { RefuseTruncate1764100800000 } from '../migrations/1764100800000-refuse-truncate';
import { LedgerClock1764108000000 } from '../migrations/1764108000000-ledger-clock';
import { ReplicaBurnLimits1764115200000 } from '../migrations/1764115200000-replica-burn-limits';
import { DebtRepayment1764720000000 } from '../migrations/1764720000000-debt-repayment';
import { EarnRulesReplica1764723600000 } from '../migrations/1764723600000-earn-rules-replica';
import { PartnerViews1764727200000 } from '../migrations/1764727200000-partner-views';
import { OffersReplica1764730800000 } from '../migrations/1764730800000-offers-replica';
import { LockWallet1764856800000 } from '../migrations/1764856800000-lock-wallet';
import { LockWalletLots1764860400000 } from '../migrations/1764860400000-lock-wallet-lots';
import { Tiers1765188000000 } from '../migrations/1765188000000-tiers';
import { AdjustmentService } from './modules/wallet/adjustment.service';
import { BurnService } from './modules/wallet/burn.service';
import { EarnService } from './modules/wallet/earn.service';
import { ExpiryService } from './modules/wallet/expiry.service';
import { checkLedgerClock } from './modules/wallet/ledger-clock';
import { HistoryService } from './modules/wallet/history.service';
import { HouseholdService } from './modules/wallet/household.service';
import { RefundService } from './modules/wallet/refund.service';
import { mountRewardRedemptions } from './modules/wallet/reward-redemption.route';
import { RewardRedemptionService } from './modules/wallet/reward-redemption.service';
import { walletModule } from './modules/wallet/wallet.module';
import type { MemberConfig } from './config';
import type { MemberLoaders } from './context';
import { Member, MemberPartnerLink } from './modules/members/member.entity';
import { membersModule } from './modules/members/members.module';
import { MembersService } from './modules/members/members.service';
import { EarnRulesReplica } from './modules/partner-replica/earn-rules.replica';
import { offersModule } from './modules/offers/offers.module';
import { OffersService } from './modules/offers/offers.service';
import { applyPartnerFacts } from './modules/partner-replica/partner-feed';
import { PartnerReplica, StoreReplica } from './modules/partner-replica/partner-replica.entity';
import { partnerViewsModule } from './modules/partner-views/partner-views.module';
import { PartnerViewsService } from './modules/partner-views/partner-views.service';
import { TierLadderService } from './modules/tiers/tier-ladder.service';
import { TierOverrideService } from './modules/tiers/tier-override.service';
import { TierReviewService } from './modules/tiers/tier-review.service';
import { TierStatusService } from './modules/tiers/tier-status.service';
import { tiersModule } from './modules/tiers/tiers.module';
import { viewerModule } from './modules/viewer/viewer.module';

export const entities = [Member, MemberPartnerLink, PartnerReplica, StoreReplica];
export const migrations = [
  MembersLinksReplica1764064800000,
  WalletLedger1764072000000,
  WalletRefundsExpiry1764079200000,
  OperatorFundedLots1764086400000,
  Households1764093600000,
  RefuseTruncate1764100800000,
  LedgerClock1764108000000,
  ReplicaBurnLimits1764115200000,
  DebtRepayment1764720000000,
  EarnRulesReplica1764723600000,
  PartnerViews1764727200000,
  OffersReplica1764730800000,
  LockWallet1764856800000,
  LockWalletLots1764860400000,
  Tiers1765188000000,
];
export const PARTNER_FEED_CONSUMER = 'partner-feed';

/** The member subgraph: members, cards, consents (and the wallet to come); consumes the partner feed, produces the member feed. */
export function startMemberService(
  config: MemberConfig,
  options: { onQuery?: (sql: string) => void } = {},
): Promise<RunningService> {
  const token = serviceTokenProvider(loadSigningKey(config.JWT_KEYS_DIR), 'member');
  const publicKeys = loadPublicKeys(config.JWT_KEYS_DIR);
  return startSubgraphService<MemberLoaders>({
    name: 'member',
    config,
    entities,
    migrations,
    producesFeed: true,
    onQuery: options.onQuery,
    preflight: (dataSource, logger) => checkLedgerClock(dataSource, logger, config.NODE_ENV),
    build: (dataSource, logger) => {
      const members = new MembersService(dataSource);
      const partnerFeed = httpFeedConsumer(
        { dataSource, logger, token },
        { name: PARTNER_FEED_CONSUMER, feedUrl: config.PARTNER_FEED_URL, apply: applyPartnerFacts },
      );
      const tiers = tiersPart(dataSource, logger, config);
      const parts = {
        members: membersModule(members, partnerFeed),
        offers: offersModule(new OffersService(dataSource)),
        partnerViews: partnerViewsModule(new PartnerViewsService(dataSource)),
        tiers: tiers.module,
        viewer: viewerModule(),
        wallet: walletModule(
          {
            earn: new EarnService(dataSource, new EarnRulesReplica()),
            burn: new BurnService(dataSource),
            refund: new RefundService(dataSource),
            adjustment: new AdjustmentService(dataSource),
            history: new HistoryService(dataSource),
            household: new HouseholdService(dataSource),
          },
          dataSource,
        ),
      };
      return {
        // In the order of schema.graphql: base.graphql, then the modules by name.
        modules: [baseModule(new URL('./base.graphql', import.meta.url)), ...Object.values(parts)],
        createLoaders: () => ({
          ...parts.members.createLoaders(),
          ...parts.partnerViews.createLoaders(),
          ...parts.tiers.createLoaders(),
          ...parts.wallet.createLoaders(),
        }),
        // The partner service's synchronous call for reward orders (off the hot path).
        mountRoutes: (app) =>
          mountRewardRedemptions(app, new RewardRedemptionService(dataSource), publicKeys),
        background: [
          partnerFeed,
          new PeriodicJob(
            'expiry',
            config.EXPIRY_INTERVAL_MS,
            () => new ExpiryService(dataSource, logger).run(),
            logger,
          ),
          tiers.review,
        ],
      };
    },
  });
}

/** Tiers: the module, and the review the service runs every TIER_REVIEW_INTERVAL_MS. */
function tiersPart(dataSource: DataSource, logger: Logger, config: MemberConfig) {
  const review = new TierReviewService(dataSource, logger);
  return {
    module: tiersModule({
      ladder: new TierLadderService(dataSource),
      status: new TierStatusService(dataSource),
      override: new TierOverrideService(dataSource),
      review,
    }),
    review: new PeriodicJob(
      'tier-review',
      config.TIER_REVIEW_INTERVAL_MS,
      () => review.run(),
      logger,
    ),
  };
}
