import { readFileSync } from 'node:fs';
import { loadSigningKey } from '@coalition/shared/auth/keys';
import { serviceTokenProvider } from '@coalition/shared/auth/service-token';
import { FeedConsumer } from '@coalition/shared/feed/consumer';
import { httpFeedSource } from '@coalition/shared/feed/http';
import { DateTimeScalar, IdempotencyKeyScalar, MinorUnitsScalar, PointsScalar } from '@coalition/shared/graphql/scalars';
import { PeriodicJob } from '@coalition/shared/service/periodic-job';
import { startSubgraphService, type RunningService } from '@coalition/shared/service/subgraph-service';
import { MembersLinksReplica1764064800000 } from '../migrations/1764064800000-members-links-replica';
import { WalletLedger1764072000000 } from '../migrations/1764072000000-wallet-ledger';
import { WalletRefundsExpiry1764079200000 } from '../migrations/1764079200000-wallet-refunds-expiry';
import { OperatorFundedLots1764086400000 } from '../migrations/1764086400000-operator-funded-lots';
import { Households1764093600000 } from '../migrations/1764093600000-households';
import { RefuseTruncate1764100800000 } from '../migrations/1764100800000-refuse-truncate';
import { LedgerClock1764108000000 } from '../migrations/1764108000000-ledger-clock';
import { ReplicaBurnLimits1764115200000 } from '../migrations/1764115200000-replica-burn-limits';
import { AdjustmentService } from './modules/wallet/adjustment.service';
import { BurnService } from './modules/wallet/burn.service';
import { EarnService } from './modules/wallet/earn.service';
import { ExpiryService } from './modules/wallet/expiry.service';
import { checkLedgerClock } from './modules/wallet/ledger-clock';
import { HistoryService } from './modules/wallet/history.service';
import { HouseholdService } from './modules/wallet/household.service';
import { RefundService } from './modules/wallet/refund.service';
import { walletResolvers } from './modules/wallet/wallet.resolvers';
import type { MemberConfig } from './config';
import { createLoaders, type MemberContext } from './context';
import { Member, MemberPartnerLink } from './modules/members/member.entity';
import { membersResolvers } from './modules/members/members.resolvers';
import { MembersService } from './modules/members/members.service';
import { applyPartnerFact } from './modules/partner-replica/partner-feed';
import { PartnerReplica, StoreReplica } from './modules/partner-replica/partner-replica.entity';

export const typeDefs = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
export const entities = [Member, MemberPartnerLink, PartnerReplica, StoreReplica];
export const migrations = [MembersLinksReplica1764064800000, WalletLedger1764072000000, WalletRefundsExpiry1764079200000, OperatorFundedLots1764086400000, Households1764093600000, RefuseTruncate1764100800000, LedgerClock1764108000000, ReplicaBurnLimits1764115200000];
export const PARTNER_FEED_CONSUMER = 'partner-feed';

/** The member subgraph: members, cards, consents (and the wallet to come); consumes the partner feed, produces the member feed. */
export function startMemberService(config: MemberConfig, options: { onQuery?: (sql: string) => void } = {}): Promise<RunningService> {
  const token = serviceTokenProvider(loadSigningKey(config.JWT_KEYS_DIR), 'member');
  return startSubgraphService<MemberContext>({
    name: 'member',
    config,
    typeDefs,
    entities,
    migrations,
    producesFeed: true,
    onQuery: options.onQuery,
    preflight: (dataSource, logger) => checkLedgerClock(dataSource, logger, config.NODE_ENV),
    build: (dataSource, logger) => {
      const members = new MembersService(dataSource);
      const partnerFeed = new FeedConsumer({
        name: PARTNER_FEED_CONSUMER,
        source: httpFeedSource(config.PARTNER_FEED_URL, token),
        dataSource,
        apply: applyPartnerFact,
        logger,
      });
      const m = membersResolvers(members, partnerFeed);
      const w = walletResolvers({
        earn: new EarnService(dataSource),
        burn: new BurnService(dataSource),
        refund: new RefundService(dataSource),
        adjustment: new AdjustmentService(dataSource),
        history: new HistoryService(dataSource),
        household: new HouseholdService(dataSource),
      });
      return {
        resolvers: {
          DateTime: DateTimeScalar,
          Points: PointsScalar,
          MinorUnits: MinorUnitsScalar,
          IdempotencyKey: IdempotencyKeyScalar,
          Query: { ...m.Query, ...w.Query },
          Mutation: { ...m.Mutation, ...w.Mutation },
          Member: { ...m.Member, ...w.Member },
          Transaction: w.Transaction,
          Lot: w.Lot,
          Household: w.Household,
        },
        extendContext: (base) => ({ ...base, loaders: createLoaders(members, dataSource) }),
        background: [partnerFeed, new PeriodicJob('expiry', config.EXPIRY_INTERVAL_MS, () => new ExpiryService(dataSource, logger).run(), logger)],
      };
    },
  });
}
